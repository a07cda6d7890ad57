"""Helpers shared by the client tests."""


def xml(inner: str) -> bytes:
    """`inner` inside the webservice's XML envelope, as PrestaShop 8 sends it."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        + inner
        + "\n</prestashop>\n"
    ).encode()
