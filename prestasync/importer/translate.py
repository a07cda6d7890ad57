"""A shop product in catalogue terms: the whole product, and notes on what could not be taken.

Ids become catalogue ids through the job's `ShopMaps`, texts are keyed by ISO code, and values
stay as the shop has them: an empty identifier (EAN…) is None, "not known", so an export leaves
another shop's value alone; measures and prices are kept with six decimals, zero included.

What the shop points at but does not have (an option value, feature value, category, brand or
tax group it does not list; a ghost image) is left out with a note, and the rest of the product
is imported: PrestaShop checks no references (README fact 19), so such dangling ids are the
shop's own data, and a retry would read the same. Which problems fail the item is the importer's
rule (`Issue.fails`); a combination the client could not read fails it with nothing written,
because writing the product without it would delete it from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from prestasync.catalogue import Details, Incoming, IncomingCombination, IncomingImage, IncomingPrice, ItemFailure
from prestasync.catalogue.products import by_iso, decimal_of
from prestasync.importer.images import Held, Missing
from prestasync.importer.pages import PageData
from prestasync.importer.reference import ShopMaps
from prestasync.models import CODE13_MAX, ISBN_MAX, MPN_MAX, SKU_MAX, UPC_MAX
from prestasync.prestashop import Combination, RemoteProduct

# `product_type` (8.x: src/Core/Domain/Product/ValueObject/ProductType.php) to catalogue kinds;
# '' is "undefined" (products made before 1.7.8 or by the legacy page): then the legacy `type`
# (simple, pack, virtual) and whether the product has combinations decide.
KINDS = {"standard": "simple", "combinations": "combinations", "pack": "pack", "virtual": "virtual"}
CODES = {"ean13": CODE13_MAX, "isbn": ISBN_MAX, "upc": UPC_MAX, "mpn": MPN_MAX}
# Specific prices for one customer, group, country, currency or cart, and those a catalogue price
# rule generated, are not product data the catalogue models: left out.
_RESTRICTED = ("id_cart", "id_currency", "id_country", "id_group", "id_customer", "id_specific_price_rule")
_NO_DATE = "0000-00-00 00:00:00"


@dataclass(frozen=True)
class Issue:
    """Something of a product that could not be imported; `fails` makes the item failed."""

    code: str
    message: str
    fails: bool = False


@dataclass
class _Reading:
    record: RemoteProduct
    page: PageData
    maps: ShopMaps
    issues: list[Issue] = field(default_factory=list)

    def note(self, code: str, message: str) -> None:
        self.issues.append(Issue(code, message))


def whole_product(
    incoming: Incoming,
    record: RemoteProduct,
    page: PageData,
    maps: ShopMaps,
    images: Mapping[int, Held | Missing],
) -> tuple[Incoming | ItemFailure, list[Issue]]:
    """`incoming` (the checked simple fields) with the rest of the product as `details`.

    `images` says, per shop image id, whether its bytes are in the store or why not.
    """
    unreadable = [c for c in record.combination_ids if c in page.unreadable]
    if unreadable:
        reasons = "; ".join(f"#{c}: {page.unreadable[c]}" for c in unreadable)
        message = f"combination(s) could not be read ({reasons}); nothing of the product was written"
        return ItemFailure(incoming.sku, message, "unreadable_combination", record.id), []
    r = _Reading(record, page, maps)
    f, lang = record.fields, maps.languages
    codes = {name: _code(r, f.get(name, ""), name, width) or None for name, width in CODES.items()}
    details = Details(
        kind=kind_of(record),
        description_short=by_iso(record.i18n.get("description_short", {}), lang),
        slug=by_iso(record.i18n.get("link_rewrite", {}), lang),
        wholesale_price=_measure(r, "wholesale_price"),
        tax_group=_tax_group(r),
        manufacturer_id=_manufacturer(r),
        category_id=maps.categories.ids.get(_id(f.get("id_category_default", ""))),  # gone: None (fact 21)
        categories=_categories(r),
        minimal_quantity=_whole(f.get("minimal_quantity", "")),
        features=_features(r),
        combinations=_combinations(r),
        images=_images(r, images),
        prices=_prices(r),
        weight=_measure(r, "weight"),
        width=_measure(r, "width"),
        height=_measure(r, "height"),
        depth=_measure(r, "depth"),
        ean13=codes["ean13"],
        isbn=codes["isbn"],
        upc=codes["upc"],
        mpn=codes["mpn"],
    )
    return replace(incoming, details=details), r.issues


def kind_of(record: RemoteProduct) -> str:
    """simple, combinations, pack or virtual (see `KINDS`)."""
    kind = KINDS.get(record.fields.get("product_type", "").strip())
    if kind is None:
        legacy = record.fields.get("type", "").strip()
        kind = legacy if legacy in ("pack", "virtual") else "simple"
    return "combinations" if kind == "simple" and record.combination_ids else kind


def _tax_group(r: _Reading) -> str | None:
    group = _id(r.record.fields.get("id_tax_rules_group", ""))
    if not group:
        return None
    if group not in r.maps.taxes:
        r.note("unknown_tax_group", f"tax rules group #{group} does not exist in the shop; tax group left unknown")
    return r.maps.taxes.get(group)


def _manufacturer(r: _Reading) -> int | None:
    brand = _id(r.record.fields.get("id_manufacturer", ""))
    if not brand:
        return None
    found = r.maps.manufacturers.ids.get(brand)
    if found is None:
        why = r.maps.manufacturers.skipped.get(brand, f"manufacturer #{brand} does not exist in the shop")
        r.note("unknown_manufacturer", f"{why}; manufacturer left unknown")
    return found


def _categories(r: _Reading) -> tuple[int, ...]:
    out: dict[int, None] = {}
    for category in dict.fromkeys(r.record.category_ids):
        if category in r.maps.roots:
            continue
        local = r.maps.categories.ids.get(category)
        if local is None:
            why = r.maps.categories.skipped.get(category, f"category #{category} does not exist in the shop")
            r.note("unknown_category", f"{why}; the product's link to it was left out")
        else:
            out[local] = None
    return tuple(out)


def _features(r: _Reading) -> tuple[tuple[int, int], ...]:
    chosen: dict[int, int] = {}
    for feature, raw in r.record.feature_values:
        value = _id(raw)
        found = r.maps.features.values.get(value)
        expected = r.maps.features.features.get(feature)
        if found is None:
            why = r.maps.features.skipped.get(value, f"feature value #{value} does not exist in the shop")
            r.note("unknown_feature_value", f"{why}; feature #{feature} was left out")
        elif expected is not None and expected != found[0]:
            r.note("unknown_feature_value", f"feature value #{value} belongs to another feature than #{feature}")
        elif found[0] in chosen:
            r.note("several_feature_values", f"feature #{feature} has several values; the catalogue keeps the first")
        else:
            chosen[found[0]] = found[1]
    return tuple(chosen.items())


def _combinations(r: _Reading) -> tuple[IncomingCombination, ...]:
    shop = {c.id: c for c in r.page.combinations.get(r.record.id, [])}
    order = [c for c in dict.fromkeys(r.record.combination_ids) if c in shop]
    order += sorted(set(shop) - set(order))  # added between the two reads
    default = _id(r.record.fields.get("id_default_combination", ""))
    return tuple(
        _combination(r, shop[cid], position, cid == default if default in shop else None)
        for position, cid in enumerate(order)
    )


def _combination(r: _Reading, c: Combination, position: int, is_default: bool | None) -> IncomingCombination:
    values: set[int] = set()
    for value in c.option_value_ids:
        local = r.maps.values.ids.get(value)
        if local is None:
            why = r.maps.values.skipped.get(value, f"option value #{value} does not exist in the shop")
            r.note("unknown_option_value", f"combination #{c.id}: {why}; imported without that value")
        else:
            values.add(local)
    reference = c.reference
    if len(reference) > SKU_MAX:
        r.note("invalid_value", f"combination #{c.id}'s reference is over {SKU_MAX} characters; left empty")
        reference = ""
    codes = {name: _code(r, c.fields.get(name, ""), f"combination #{c.id}'s {name}", w) for name, w in CODES.items()}
    return IncomingCombination(
        remote_id=c.id,
        reference=reference,
        price_impact=_signed(r, c.price_impact, f"combination #{c.id}'s price impact"),
        weight_impact=_signed(r, c.fields.get("weight", ""), f"combination #{c.id}'s weight impact"),
        minimal_quantity=_whole(c.fields.get("minimal_quantity", "")) or 1,
        # `default_on` may stay empty on the default one (fact 26): the product's word wins.
        is_default=is_default if is_default is not None else c.default_on.strip() == "1",
        quantity=r.page.stock_of(r.record.id, c.id),
        position=position,
        values=tuple(sorted(values)),
        images=tuple(dict.fromkeys(c.image_ids)),
        **codes,
    )


def _images(r: _Reading, images: Mapping[int, Held | Missing]) -> tuple[IncomingImage, ...]:
    """In the shop's order, which is by position (Product::getWsImages sorts on it)."""
    cover = _id(r.record.fields.get("id_default_image", ""))
    out = []
    for position, image in enumerate(dict.fromkeys(r.record.image_ids), 1):
        got = images.get(image)
        if isinstance(got, Missing):
            r.issues.append(Issue(got.code, got.message, got.fails))
        elif got is not None:
            out.append(IncomingImage(image, got.checksum, got.size, got.content_type, position, image == cover))
    return tuple(out)


def _prices(r: _Reading) -> tuple[IncomingPrice, ...]:
    out = []
    combinations = {c.id for c in r.page.combinations.get(r.record.id, [])}
    for price in r.page.prices.get(r.record.id, []):
        f = price.fields
        if any(_id(f.get(name, "")) for name in _RESTRICTED):
            continue
        combination = _id(f.get("id_product_attribute", "")) or None
        if combination is not None and combination not in combinations:
            continue
        amount = _signed(r, f.get("price", ""), f"specific price #{price.id}'s price")
        kind = f.get("reduction_type", "").strip()
        out.append(
            IncomingPrice(
                remote_id=price.id,
                combination=combination,
                price=None if amount < 0 else amount,  # -1: "the product's price"
                reduction=_signed(r, f.get("reduction", ""), f"specific price #{price.id}'s reduction"),
                reduction_type=kind if kind in ("amount", "percentage") else "amount",
                reduction_tax=f.get("reduction_tax", "1").strip() != "0",
                from_quantity=_whole(f.get("from_quantity", "")) or 1,
                date_from=f.get("from", "").strip()[:19] or _NO_DATE,
                date_to=f.get("to", "").strip()[:19] or _NO_DATE,
            )
        )
    return tuple(out)


def _measure(r: _Reading, name: str) -> Decimal | None:
    raw = r.record.fields.get(name, "")
    if not raw.strip():
        return None
    value = decimal_of(raw)
    if value is None:
        r.note("invalid_value", f"{name} {raw[:40]!r} is not a valid number; left unknown")
    return value


def _signed(r: _Reading, raw: str, what: str) -> Decimal:
    try:
        value = Decimal(raw.strip() or "0")
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) >= Decimal("1e14"):
        r.note("invalid_value", f"{what} {raw[:40]!r} is not a valid number; taken as 0")
        return Decimal(0).quantize(Decimal("0.000001"))
    return value.quantize(Decimal("0.000001"))


def _code(r: _Reading, raw: str, what: str, width: int) -> str:
    if len(raw) > width:
        r.note("invalid_value", f"{what} {raw[:40]!r} is over {width} characters; left empty")
        return ""
    return raw


def _id(raw: str) -> int:
    raw = raw.strip()
    return int(raw) if raw.isdigit() else 0


def _whole(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.lstrip("-").isdigit() and abs(int(raw)) < 2**31 else None
