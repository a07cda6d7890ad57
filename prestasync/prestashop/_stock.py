"""Stock: `stock_availables` rows, read in batches and written one row at a time.

Stock is never read from products: their `<quantity>` is always 0 in 8.x (README fact 1, captures
02, 03, 31). Each product has a row with `id_product_attribute=0`; a product with combinations has
one more row per combination, and its row 0 holds their sum, recomputed by the shop on the next
write of a combination's row (facts 2 and 18, captures 57*). So stock of such a product is written
per combination row, never on row 0, which a direct PATCH would only change until that recompute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from prestasync.prestashop import _decode, _xml
from prestasync.prestashop._base import IDS_PER_QUERY, any_of, positive, unique_ids
from prestasync.prestashop._transport import failure
from prestasync.prestashop._writes import WritesMixin
from prestasync.prestashop.errors import NotFound, NotSupported
from prestasync.prestashop.records import StockRow

__all__ = ["StockMixin"]


class StockMixin(WritesMixin):
    """Reads and writes of `stock_availables`."""

    def stock_rows_for(self, product_ids: Sequence[int]) -> list[StockRow]:
        """Every stock row of these products: each product's own row and one per combination.

        100 products a request (`filter[id_product]=[…]`, `display=full`), paged by row id. On a
        client bound to a shop (`for_shop`) only that shop's rows: `filter[id_shop]`, because the
        shop ignores `?id_shop` on this list (capture 76k).
        """
        pages = self._by_parent("stock_availables", "id_product", product_ids, filters=self._shop_filter(), shop=False)
        return [self._row(node) for nodes in pages for node in nodes]

    def stock_rows(self, product_ids: Sequence[int]) -> dict[int, StockRow]:
        """Each product's own row (`id_product_attribute=0`), keyed by product id.

        Products without a row are absent. For a product with combinations this row is the sum of
        theirs (fact 2); `stock_rows_for` gives every row.
        """
        ids = unique_ids(product_ids, "product ids")
        rows: dict[int, StockRow] = {}
        for start in range(0, len(ids), IDS_PER_QUERY):
            params = {
                "filter[id_product]": any_of(ids[start : start + IDS_PER_QUERY]),
                "filter[id_product_attribute]": "0",
                "display": "[id,id_product,id_product_attribute,quantity]",
                "sort": "[id_ASC]",
                **self._shop_filter(),
            }
            for node in self._list("stock_availables", params, shop=False):
                row = self._row(node)
                rows.setdefault(row.id_product, row)  # several shops: keep the lowest row id
        return rows

    def set_stock_row(self, row: StockRow | int, quantity: int) -> StockRow:
        """Set one stock row's quantity: PATCH `stock_availables/ID` with the id and quantity only.

        No read first when the row (or its id) is known. On 1.7, or when the shop refuses PATCH,
        the row is read and PUT back whole. For a product with combinations write the
        combinations' rows, not row 0 (see the module notes).
        """
        row_id = row.id if isinstance(row, StockRow) else positive(row, "row")
        return self._set_row(row_id, _quantity(quantity), None)

    def set_stock(self, product_id: int, quantity: int) -> StockRow:
        """Set a product's own stock (row `id_product_attribute=0`): one list read, then the write.

        Only right for a product without combinations (fact 18).
        """
        quantity = _quantity(quantity)
        params = {
            "filter[id_product]": f"[{positive(product_id, 'product_id')}]",
            "filter[id_product_attribute]": "0",
            "display": "full",
            "sort": "[id_ASC]",
            **self._shop_filter(),
        }
        response = self._call("GET", "stock_availables", params, shop=False)
        with self._wire.reading(response):
            nodes = _decode.sources(response.content, "stock_availables")
            if not nodes:
                raise failure(NotFound, response, f"product {product_id} has no stock row (id_product_attribute=0)")
            fields = _decode.read_parts(nodes[0])[0]
            found = _decode.stock_row(nodes[0])  # checks the ids before they go into a URL
        return self._set_row(found.id, quantity, fields)

    def _set_row(self, row_id: int, quantity: int, fields: Mapping[str, str] | None) -> StockRow:
        path = f"stock_availables/{row_id}"
        if self._patch_supported("stock_availables"):
            body = _xml.build_body("stock_available", {"id": str(row_id), "quantity": str(quantity)})
            try:
                return self._stock_from(self._call("PATCH", path, body=body))
            except NotSupported:
                self._patch_refused.add("stock_availables")
        current = fields if fields is not None else self._fetch("stock_availables", path).fields
        body = _xml.build_body("stock_available", {**current, "quantity": str(quantity)})
        return self._stock_from(self._call("PUT", path, body=body))

    def _shop_filter(self) -> dict[str, str]:
        return {"filter[id_shop]": f"[{self._id_shop}]"} if self._id_shop else {}

    def _row(self, node: _decode.Source) -> StockRow:
        try:
            return _decode.stock_row(node)
        except _xml.DocumentError as exc:
            raise self._bad_page("stock_availables", str(exc)) from None

    def _stock_from(self, response: httpx.Response) -> StockRow:
        with self._wire.reading(response):
            return _decode.stock_row(_decode.single_source(response.content, "stock_availables"))


def _quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValueError(f"quantity must be an integer, got {quantity!r}")
    return quantity
