"""How an emulated shop looks (its seeded catalogue) and how it misbehaves (its faults).

Everything is a plain field of `ShopConfig`, mutable at runtime: tests flip faults between calls.
The catalogue fields (`languages`, `products`, `combinations_per_product`, … , `seed`) are read
once, when the `EmulatedShop` is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass
class ShopConfig:
    """One emulated shop: identity, seeded catalogue, faults and latencies.

    Catalogue (deterministic from `seed`):

    * `products`: simple products `SKU-00001`… with a stock row each, names in every language;
      `broken` maps a product id to raw values stored without validation after seeding (how a
      test gets records only old data could produce, e.g. an empty reference or a price `"abc"`).
    * `combinations_per_product`: combinations per product (each over one value of a "Size"
      attribute group, with its own stock row; the product row 0 holds their sum).
    * `images_per_product`: images per product (PNG bytes generated on demand, never stored).
    * `category_depth`: a chain of categories under Home; each product is in one leaf and its
      ancestors, the leaf being its default category. 0 puts every product in Home only.
    * `features`: features ("Feature 1"…) with a few values each; every product gets one value
      of each.
    * `manufacturers`: manufacturers ("Brand 1"…); products are spread over them.
    * tax rule groups 1-5 as in the demo catalogue are always there.

    Faults:

    * `down`: every request answers the hosting's 503 HTML page.
    * `webservice_enabled=False`: 503 code 22, as when the webservice is switched off.
    * `fail_rate`: that fraction of writes (`fail_reads=True`: of every request) answers 500 with
      the PHP-warning shape (`[PHP Warning #2] … MySQL server has gone away`) BEFORE anything is
      saved: nothing changed, retrying is safe.
    * `empty_500_after_write_rate`: that fraction of product POST/PUT/PATCH answers 500 with an
      EMPTY body AFTER the write was saved, as the real shop does under concurrent writes
      (fact 14, `46_concurrent_put_500_empty_body_php_fatal.txt`): the change is there.
    * `fail_skus`: a product write whose `<reference>` (after the write) is listed is refused with
      400 code 85, nothing saved.
    * `refuse_combination_references`: a combination POST/PUT/PATCH with that reference is
      refused with 400 code 85, nothing saved.
    * `fail_image_products`: product ids or references whose image uploads fail with
      `fail_image_code` (72: too large, 76: not an image…), nothing saved.
    * latencies, added before the answer: `latency_ms` to every request, plus `read_latency_ms`
      (GET/HEAD), `write_latency_ms` (POST/PUT/PATCH/DELETE of records) or `image_latency_ms`
      (anything under `/images`).
    """

    key: str = "DEMO" * 8
    name: str = "Emulated shop"
    version: str = "8.1.7"
    languages: list[tuple[int, str, str]] = field(default_factory=lambda: [(1, "en", "English"), (2, "pl", "Polski")])
    products: int = 0
    broken: dict[int, dict[str, str]] = field(default_factory=dict)
    combinations_per_product: int = 0
    images_per_product: int = 0
    category_depth: int = 0
    features: int = 0
    manufacturers: int = 0
    seed: int = 42
    latency_ms: float = 0
    read_latency_ms: float = 0
    write_latency_ms: float = 0
    image_latency_ms: float = 0
    fail_rate: float = 0.0
    fail_reads: bool = False
    empty_500_after_write_rate: float = 0.0
    fail_skus: set[str] = field(default_factory=set)
    refuse_combination_references: set[str] = field(default_factory=set)
    fail_image_products: set[int | str] = field(default_factory=set)
    fail_image_code: int = 72
    down: bool = False
    webservice_enabled: bool = True
    set_cookie: bool = True  # most real answers carry a `PrestaShop-…` cookie nobody needs (fact 29)


class WriteRecord(NamedTuple):
    """One write request as received: arrival time (`time.monotonic()`), verb, resource, ids, status."""

    at: float
    method: str
    resource: str
    ids: tuple[int, ...]
    status: int
