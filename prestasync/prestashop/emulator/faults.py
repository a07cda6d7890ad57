"""Configured misbehaviour (see `ShopConfig`): which fault hits a request, and what it answers.

Two kinds of 500 exist and they mean opposite things to a client:

* `fail_rate` answers BEFORE anything is read or saved, with the shape PHP warnings take in the
  webservice (code 3, `[PHP Warning #2] …`, like `38_post_product_malformed_xml.http`): nothing
  changed, a retry is safe.
* `empty_500_after_write_rate` answers a product POST/PUT/PATCH AFTER it was saved, with an empty
  body and no webservice headers, as the real shop does under concurrent writes (fact 14,
  `46_concurrent_put_500_empty_body_php_fatal.txt`): the change is there, a blind retry of a POST
  creates a duplicate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prestasync.prestashop.emulator.schema import RawAnswer, WsError
from prestasync.prestashop.emulator.wire import Answer

if TYPE_CHECKING:
    from prestasync.prestashop.emulator.store import EmulatedShop

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DB_GONE = (
    "[PHP Warning #2] mysqli::query(): MySQL server has gone away (/var/www/html/classes/db/DbMySQLi.php, line 135)"
)
HTML_503 = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>503 Service Unavailable</title>\n'
    "</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your\n"
    "request due to maintenance downtime or capacity problems. Please try again later.</p>\n</body></html>\n"
)


def down_page() -> Answer:
    """What the hosting answers while the shop is down."""
    return Answer(503, HTML_503.encode(), "text/html; charset=iso-8859-1", webservice=False, php=False)


def before(shop: EmulatedShop, method: str) -> None:
    """`fail_rate`: a 500 before anything happens (writes only unless `fail_reads`)."""
    cfg = shop.config
    if cfg.fail_rate and (method in _WRITES or cfg.fail_reads) and shop.fault_rng.random() < cfg.fail_rate:
        raise WsError((500, 3, _DB_GONE))


def after_write(shop: EmulatedShop, resource: str, method: str) -> None:
    """`empty_500_after_write_rate`: an empty 500 once a product write was saved."""
    rate = shop.config.empty_500_after_write_rate
    if rate and resource == "products" and method in ("POST", "PUT", "PATCH") and shop.fault_rng.random() < rate:
        raise RawAnswer(500)
