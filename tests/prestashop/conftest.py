"""Helpers shared by the client and emulator tests."""

from __future__ import annotations

import warnings

from prestasync.prestashop.emulator import EmulatedShop, ShopConfig, create_app

with warnings.catch_warnings():  # starlette 1.x nags about httpx on import; the client works
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

AUTH = ("DEMO" * 8, "")  # the emulator's default key as Basic auth (empty password)


def shop_client(**config: object) -> tuple[TestClient, EmulatedShop]:
    """An emulated shop configured with `config`, and an in-process client for it."""
    shop = EmulatedShop(ShopConfig(**config))  # type: ignore[arg-type]
    return TestClient(create_app({"": shop})), shop


def xml(inner: str) -> bytes:
    """`inner` inside the webservice's XML envelope, as PrestaShop 8 sends it."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        + inner
        + "\n</prestashop>\n"
    ).encode()
