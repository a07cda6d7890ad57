"""Everything around a product: combinations, options, categories, features, brands, taxes, prices.

Lists are read `display=full`, paged by id (`filter[id]=>[last]`, 1000 a page). Records tied to
products (combinations, specific prices) and values tied to a group or feature are read by parent
id, 100 parents a request (`filter[id_product]=[1|2|…]`), never one request per product.

The shop checks almost nothing about references between these records: an option value in a group
that does not exist, a combination repeating another's attribute set, a feature value of another
feature, manufacturer 9999 are all accepted (README fact 19). Matching and de-duplication are the
caller's job; these reads give it the data to do so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from prestasync.prestashop import _decode
from prestasync.prestashop._base import positive
from prestasync.prestashop._writes import WritesMixin
from prestasync.prestashop.records import BadRecord, Category, Combination, Record

__all__ = ["CatalogMixin"]

# What a specific price needs besides its product: the shop requires `id_shop` and friends (400
# code 41 for a minimal body, capture 75f); 0 means "any", -1 as price means "keep the product's".
SPECIFIC_PRICE_DEFAULTS = {
    "id_product_attribute": "0",
    "id_shop": "0",
    "id_shop_group": "0",
    "id_cart": "0",
    "id_currency": "0",
    "id_country": "0",
    "id_group": "0",
    "id_customer": "0",
    "from_quantity": "1",
    "price": "-1",
    "reduction_tax": "1",
    "from": "0000-00-00 00:00:00",
    "to": "0000-00-00 00:00:00",
}


class CatalogMixin(WritesMixin):
    """Typed reads of the records around products, and their few special writes."""

    def combinations_of(self, product_ids: Sequence[int]) -> list[Combination | BadRecord]:
        """Every combination of these products (reference, ean13, isbn, upc, mpn, price impact,
        weight, minimal_quantity, default_on, option value and image ids), by id.

        Their stock is not here (fact 3): see `stock_rows_for`.
        """
        pages = self._by_parent("combinations", "id_product", product_ids)
        return [_decode.typed(node, "combinations", Combination) for nodes in pages for node in nodes]

    def specific_prices_of(self, product_ids: Sequence[int]) -> list[Record | BadRecord]:
        """Every specific price (discount, fixed price) of these products, by id."""
        return self._records("specific_prices", self._by_parent("specific_prices", "id_product", product_ids))

    def product_options(self) -> list[Record | BadRecord]:
        """Attribute groups (`Size`, `Color`…): name and public_name per language, group_type, values."""
        return self._all("product_options")

    def product_option_values(self, group_ids: Sequence[int] | None = None) -> list[Record | BadRecord]:
        """Attribute values (`S`, `Red`…), all of them or those of some groups (`id_attribute_group`)."""
        if group_ids is None:
            return self._all("product_option_values")
        pages = self._by_parent("product_option_values", "id_attribute_group", group_ids)
        return self._records("product_option_values", pages)

    def categories(self) -> list[Category | BadRecord]:
        """Every category: id_parent, level_depth, active, name and link_rewrite per language."""
        pages = self._pages("categories", "full", {})
        return [_decode.typed(node, "categories", Category) for nodes in pages for node in nodes]

    def product_features(self) -> list[Record | BadRecord]:
        """Features (`Composition`, `Property`…) with their name per language."""
        return self._all("product_features")

    def product_feature_values(self, feature_ids: Sequence[int] | None = None) -> list[Record | BadRecord]:
        """Feature values, all of them or those of some features (`id_feature`; capture 72j).

        Custom values (`custom=1`) are one per product that uses them: on a big shop ask by feature.
        """
        if feature_ids is None:
            return self._all("product_feature_values")
        return self._records(
            "product_feature_values", self._by_parent("product_feature_values", "id_feature", feature_ids)
        )

    def manufacturers(self) -> list[Record | BadRecord]:
        """Brands: name, active, descriptions per language."""
        return self._all("manufacturers")

    def tax_rule_groups(self) -> list[Record | BadRecord]:
        """Tax rule groups (`id_tax_rules_group` of a product): name, active, deleted."""
        return self._all("tax_rule_groups")

    def create_specific_price(self, product_id: int, fields: Mapping[str, str]) -> Record:
        """POST a specific price for a product, with the shop's required fields defaulted.

        `fields` gives at least the reduction (`reduction`, `reduction_type` `percentage` or
        `amount`) or a `price`. A second identical specific price is refused with an empty-body 500
        (capture 75e), which reads as `ShopUnavailable` with `maybe_applied`: list
        `specific_prices_of` before posting again. Delete one with `delete("specific_prices", id)`.
        """
        body = {**SPECIFIC_PRICE_DEFAULTS, **fields, "id_product": str(positive(product_id, "product_id"))}
        return self.create("specific_prices", body)

    def set_combination_images(self, combination_id: int, image_ids: Iterable[int]) -> Combination:
        """Replace a combination's images (`<associations><images>`; an empty list clears them).

        The shop does not check that the images belong to the combination's product (capture 66e).
        """
        images = [positive(image_id, "image_ids") for image_id in image_ids]
        found = self.patch("combinations", combination_id, associations={"images": images})
        assert isinstance(found, Combination)  # the reader types every record of combinations
        return found

    def _all(self, resource: str, display: str = "full") -> list[Record | BadRecord]:
        return self._records(resource, self._pages(resource, display, {}))
