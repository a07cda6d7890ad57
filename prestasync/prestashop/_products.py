"""Products: bulk reads by id, range, page and reference, and the product-level writes.

References are matched byte for byte here, never by the shop's word: MySQL compares them
case-insensitively, accent-insensitively and ignoring trailing spaces, and `filter[reference]=[x]%`
is a LIKE where `_` matches any character (README fact 12, capture 42). A reference that is safe
for the filter grammar goes verbatim into `filter[reference]=[a|b|c]`; one that is not (it holds
`| [ ] , %`, `< > \\`, a control character, or is over 64 characters) is looked up by a LIKE on
its longest safe prefix, or by scanning every reference when it has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from prestasync.prestashop import _decode
from prestasync.prestashop._base import IDS_PER_QUERY, PAGE, any_of, positive, unique_ids
from prestasync.prestashop._writes import AssociationValues, Current, I18nValues, WritesMixin
from prestasync.prestashop.records import BadRecord, ProductDraft, RemoteProduct

__all__ = ["ProductsMixin"]

_CREATE_DEFAULTS = {
    "state": "1",  # without it the product is a hidden draft (README fact 6)
    "available_for_order": "1",
    "show_price": "1",
    "minimal_quantity": "1",
    "id_category_default": "2",
}
# `extra` may not set what the draft sets, nor what cannot be written.
_NOT_IN_EXTRA = frozenset(
    {
        "quantity",
        "manufacturer_name",
        "position_in_category",
        "id",
        "reference",
        "price",
        "active",
        "name",
        "description",
    }
)
# Characters a reference may hold and still go verbatim into `filter[reference]=[…]`: the grammar
# has no escape for `|` (OR), `[` `]` (brackets), `,` (range) or `%` (LIKE); `<` `>` are eaten by
# pSQL's strip_tags, `\` is LIKE's escape, and the bracket regex does not cross line breaks
# (SQLUtils::getSQLRetrieveFilter).
_FILTER_SAFE = re.compile(r"[^\x00-\x1f\x7f|\[\],%<>\\]+")
_MAX_REFERENCE = 64  # PrestaShop's Reference::MAX_LENGTH
_MIN_PREFIX, _MAX_PREFIX = 3, 32
_FILTER_BUDGET = 3000  # characters of one percent-encoded `filter[reference]` value


class ProductsMixin(WritesMixin):
    """Product reads and writes (see the module notes for reference matching)."""

    # -- reads ----------------------------------------------------------------------------------

    def count_products(self, *, since: datetime | None = None, page_size: int = PAGE) -> int:
        """Count products (changed after `since`) by paging through id-only lists."""
        positive(page_size, "page_size")
        total = offset = 0
        while True:
            params = {"sort": "[id_ASC]", "limit": f"{offset},{page_size}", **_since_filter(since)}
            found = len(self._list("products", params))
            total += found
            if found < page_size:
                return total
            offset += page_size

    def iter_product_pages(
        self, *, since: datetime | None = None, after_id: int = 0, page_size: int = 100
    ) -> Iterator[list[RemoteProduct | BadRecord]]:
        """Yield full products a page at a time, by id, starting after `after_id`.

        `since` keeps products whose `date_upd` is strictly later, formatted as given (an aware
        datetime is converted to UTC first); PrestaShop stores `date_upd` in the shop's local
        time, which the caller has to account for.
        """
        positive(page_size, "page_size")
        if after_id < 0:
            raise ValueError("after_id must not be negative")
        pages = self._pages("products", "full", _since_filter(since), after_id=after_id, page_size=page_size)
        # A generator expression, not a generator function: bad arguments fail at the call.
        return ([_decode.product(node) for node in nodes] for nodes in pages)

    def iter_product_ids(
        self, *, since: datetime | None = None, after_id: int = 0, page_size: int = PAGE
    ) -> Iterator[int]:
        """Ids of the products (changed after `since`) above `after_id`, ascending, from `display=[id]` pages."""
        positive(page_size, "page_size")
        pages = self._pages("products", "[id]", _since_filter(since), after_id=after_id, page_size=page_size)
        return (product_id for nodes in pages for product_id in self._ids(nodes))

    def products_between(
        self, first_id: int, last_id: int, *, since: datetime | None = None
    ) -> list[RemoteProduct | BadRecord]:
        """Full products with `first_id <= id <= last_id` (and changed after `since`), by id.

        Pages cut by id range do not depend on each other, so several can be in flight at once.
        """
        if not 0 < first_id <= last_id:
            raise ValueError("need 0 < first_id <= last_id")
        params = {
            "display": "full",
            "filter[id]": f"[{first_id},{last_id}]",
            "sort": "[id_ASC]",
            **_since_filter(since),
        }
        return [_decode.product(node) for node in self._list("products", params)]

    def products_by_ids(self, product_ids: Sequence[int]) -> list[RemoteProduct | BadRecord]:
        """Full products for these ids, ascending by id, in one request per 100 ids.

        `display=full&filter[id]=[1|2|…]`; ids the shop does not have are simply absent.
        """
        ids = unique_ids(product_ids, "product_ids")
        out: list[RemoteProduct | BadRecord] = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            params = {"display": "full", "filter[id]": any_of(ids[start : start + IDS_PER_QUERY]), "sort": "[id_ASC]"}
            out += [_decode.product(node) for node in self._list("products", params)]
        return out

    def get_product(self, product_id: int) -> RemoteProduct:
        """One full product; NotFound when the shop has no such id (an empty 404, capture 08)."""
        product_id = positive(product_id, "product_id")
        return _decode.as_product(self._fetch("products", f"products/{product_id}"))

    def find_products_by_reference(self, reference: str) -> list[int]:
        """Ids of the products whose reference is exactly `reference`, ascending (module notes).

        Without a safe prefix of 3 characters, every reference is scanned in pages of 1000 ids:
        slow on big catalogues but still exact.
        """
        if not reference:
            raise ValueError("reference must not be empty")
        pattern = _reference_filter(reference)
        filters = {"filter[reference]": pattern} if pattern else {}
        return [
            found.id
            for nodes in self._pages("products", "[id,reference]", filters, page_size=PAGE)
            for found in map(_decode.product, nodes)
            if isinstance(found, RemoteProduct) and found.reference == reference
        ]

    def products_by_references(self, references: Sequence[str]) -> dict[str, list[RemoteProduct | BadRecord]]:
        """The full products whose reference is exactly each one given, keyed by that reference.

        Every reference asked for is a key (an empty list when the shop has none). Filter-safe
        references go in batches, `filter[reference]=[a|b|c]` with `display=full`, up to 100 and
        about 3 KB of URL each; the others are found as in `find_products_by_reference` and read
        with `products_by_ids`. A `BadRecord` whose reference matches is returned too: the product
        exists but could not be read, which a caller about to create it must know.
        """
        if isinstance(references, str):
            raise ValueError("references must be a sequence of strings")
        wanted = list(dict.fromkeys(references))
        if any(not ref for ref in wanted):
            raise ValueError("references must not be empty")
        found: dict[str, list[RemoteProduct | BadRecord]] = {ref: [] for ref in wanted}
        safe = [ref for ref in wanted if _exact_filter_safe(ref)]
        unsafe = [ref for ref in wanted if not _exact_filter_safe(ref)]
        for batch in _batches(safe):
            params = {"display": "full", "filter[reference]": any_of(batch), "sort": "[id_ASC]"}
            for node in self._list("products", params):
                _keep(found, _decode.product(node))
        # One LIKE per reference with a safe prefix; one shared scan for those without any.
        unsafe_ids = [pid for ref in unsafe if _reference_filter(ref) for pid in self.find_products_by_reference(ref)]
        scan = {ref for ref in unsafe if not _reference_filter(ref)}
        if scan:
            pages = self._pages("products", "[id,reference]", {}, page_size=PAGE)
            for match in (p for nodes in pages for p in map(_decode.product, nodes) if p.reference in scan):
                if isinstance(match, RemoteProduct):
                    unsafe_ids.append(match.id)
                else:
                    _keep(found, match)
        for item in self.products_by_ids(unsafe_ids) if unsafe_ids else []:
            _keep(found, item)
        return found

    # -- writes ---------------------------------------------------------------------------------

    def create_product(self, draft: ProductDraft, *, extra: Mapping[str, str] | None = None) -> RemoteProduct:
        """POST a new product and return the shop's echo of it.

        Sends `state=1` (else the product is a hidden draft), `available_for_order`, `show_price`,
        `minimal_quantity=1` and default category 2 with its `categories` association, each of
        which `extra` may override. Never retried once the request may have reached the shop;
        after `ShopUnavailable.maybe_applied`, look the product up with `products_by_references`
        before creating it again.
        """
        blocked = sorted(set(extra or {}) & _NOT_IN_EXTRA)
        if blocked:
            raise ValueError(f"extra must not set {blocked}: they come from the draft or cannot be written")
        fields = {**_CREATE_DEFAULTS, **draft_fields(draft), **(extra or {})}
        category = {"categories": [{"id": fields["id_category_default"]}]}
        return _decode.as_product(self.create("products", fields, draft_i18n(draft), category))

    def update_product(self, product_id: int, draft: ProductDraft) -> RemoteProduct:
        """Write the draft over a product: GET, merge, full-record PUT without associations.

        The PUT leaves out read-only fields and `<associations>` (sending them back would rewrite
        categories and delete combinations added between the GET and the PUT); languages the
        draft does not give keep the shop's text.
        """
        product_id = positive(product_id, "product_id")
        return _decode.as_product(
            self._put_merged("products", product_id, draft_fields(draft), draft_i18n(draft), None)
        )

    def patch_product(
        self,
        product_id: int,
        fields: Mapping[str, str],
        i18n: I18nValues | None = None,
        *,
        associations: AssociationValues | None = None,
        current: Current | None = None,
    ) -> RemoteProduct:
        """`patch("products", …)` returning a RemoteProduct; see `patch` for the language rule."""
        record = self.patch("products", product_id, fields, i18n, associations, current=current)
        return _decode.as_product(record)

    def set_cover_image(self, product_id: int, image_id: int) -> RemoteProduct:
        """Make an image the product's cover: the only way is the product's `id_default_image` (fact 24)."""
        return self.patch_product(product_id, {"id_default_image": str(positive(image_id, "image_id"))})

    def _ids(self, nodes: list[_decode.Source]) -> list[int]:
        try:
            return _decode.ids(nodes)
        except ValueError as exc:
            raise self._bad_page("products", str(exc)) from None


def _keep(found: dict[str, list[RemoteProduct | BadRecord]], item: RemoteProduct | BadRecord) -> None:
    bucket = found.get(item.reference)
    if bucket is not None and all(_id(other) != _id(item) for other in bucket):
        bucket.append(item)


def _id(item: RemoteProduct | BadRecord) -> int | None:
    return item.id if isinstance(item, RemoteProduct) else item.remote_id


def _exact_filter_safe(reference: str) -> bool:
    return len(reference) <= _MAX_REFERENCE and _FILTER_SAFE.fullmatch(reference) is not None


def _batches(references: list[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 2
    for ref in references:
        cost = len(quote(ref, safe="")) + 3  # the value and its `|`, percent-encoded
        if batch and (len(batch) >= IDS_PER_QUERY or size + cost > _FILTER_BUDGET):
            yield batch
            batch, size = [], 2
        batch.append(ref)
        size += cost
    if batch:
        yield batch


def _reference_filter(reference: str) -> str | None:
    if _exact_filter_safe(reference):
        return f"[{reference}]"
    prefix = _FILTER_SAFE.match(reference)
    safe = prefix.group()[:_MAX_PREFIX] if prefix else ""
    return f"[{safe}]%" if len(safe) >= _MIN_PREFIX else None


def _since_filter(since: datetime | None) -> dict[str, str]:
    if since is None:
        return {}
    if since.tzinfo is not None:
        since = since.astimezone(UTC).replace(tzinfo=None)
    # `date=1` unlocks date_upd in filters; without it the shop answers 400 code 32.
    return {"date": "1", "filter[date_upd]": f">[{since:%Y-%m-%d %H:%M:%S}]"}


def draft_fields(draft: ProductDraft) -> dict[str, str]:
    """The scalar fields a draft writes, as wire strings."""
    price = draft.price
    if not isinstance(price, Decimal) or not price.is_finite():
        raise ValueError(f"price must be a finite Decimal, got {price!r}")
    return {"reference": draft.reference, "price": format(price, "f"), "active": "1" if draft.active else "0"}


def draft_i18n(draft: ProductDraft) -> dict[str, dict[int, str]]:
    """The multilanguage fields a draft writes; an empty dict writes nothing for that field."""
    languages = {"name": dict(draft.name), "description": dict(draft.description)}
    return {name: values for name, values in languages.items() if values}
