"""One page of the import read from the shop: up to 100 products and everything around them.

Per page, whatever the number of products, variants and prices: the products (`display=full`,
an id range), their combinations (one `filter[id_product]=[…]` request, only when the page has
products with combinations), every stock row of those products (one request: each product's own
row and one per combination; a product's own `<quantity>` is always 0 on the wire, README fact 1)
and their specific prices (one request). Pages do not depend on each other, so a few are read
ahead in threads while the current one is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from prestasync.prestashop import BadRecord, Combination, PrestaShopClient, Record, RemoteProduct, StockRow

log = logging.getLogger(__name__)


@dataclass
class PageData:
    """What the shop holds for one page of products, by product id."""

    records: list[RemoteProduct | BadRecord]
    combinations: dict[int, list[Combination]] = field(default_factory=dict)
    unreadable: dict[int, str] = field(default_factory=dict)  # combination id -> why it could not be read
    stock: dict[tuple[int, int], StockRow] = field(default_factory=dict)  # (product, combination)
    prices: dict[int, list[Record]] = field(default_factory=dict)

    def stock_of(self, product_id: int, combination_id: int = 0) -> int:
        """A product's own stock (combination 0) or one combination's; 0 without a row."""
        row = self.stock.get((product_id, combination_id))
        return row.quantity if row else 0


def read_page(client: PrestaShopClient, ids: list[int], since: datetime | None) -> PageData:
    """The products with ids from `ids[0]` to `ids[-1]` (changed after `since`), and the parts of
    those listed in `ids` (a failed-only retry lists a few ids of a wide range)."""
    page = PageData(client.products_between(ids[0], ids[-1], since=since))
    listed = set(ids)
    readable = [r for r in page.records if isinstance(r, RemoteProduct) and r.id in listed]
    if not readable:
        return page
    ids = [r.id for r in readable]
    with_combinations = [r.id for r in readable if r.combination_ids]
    if with_combinations:
        for combination in client.combinations_of(with_combinations):
            if isinstance(combination, BadRecord):
                page.unreadable[combination.remote_id or 0] = combination.reason
            else:
                product = int(combination.product_id) if combination.product_id.isdigit() else 0
                page.combinations.setdefault(product, []).append(combination)
    for row in sorted(client.stock_rows_for(ids), key=lambda r: r.id):
        page.stock.setdefault((row.id_product, row.id_product_attribute), row)  # several shops: the lowest row
    for price in client.specific_prices_of(ids):
        if isinstance(price, BadRecord):
            # Only a price whose own id is unreadable gets here: nothing names its product.
            log.warning("unreadable specific price #%s left out: %s", price.remote_id, price.reason)
        else:
            owner = price.fields.get("id_product", "")
            page.prices.setdefault(int(owner) if owner.isdigit() else 0, []).append(price)
    return page
