"""The state the catalogue wants a product to have in one shop (`state.State`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from prestasync.errors import ItemError
from prestasync.export.shopview import ShopView
from prestasync.export.source import Source
from prestasync.export.state import Pairs, State
from prestasync.export.text import for_languages, present
from prestasync.naming import slug_of

TEXTS = ("name", "description", "description_short")


@dataclass(frozen=True)
class Wanted:
    """The desired state and the notes a person should read about how it was made."""

    state: State
    notes: tuple[str, ...] = ()


def desired(
    source: Source,
    view: ShopView,
    current: State | None,
    categories: dict[int, int],
    *,
    has_combinations: bool,
    manufacturer: int | None = None,
    features: Pairs | None = None,
) -> Wanted:
    """What `source` should look like in the shop, given the shop's `current` product (None when
    it has none yet) and the shop ids of its categories, manufacturer and feature values."""
    p = source.product
    if not present(p.name):
        raise ItemError("the product has no name in any language; give it one before exporting")
    notes: list[str] = []
    fields = {"reference": p.sku, "price": _money(p.price), "active": "1" if p.active else "0"}
    fields.update(_optional(source))
    tax, note = view.tax_group(p.tax_group) if p.tax_group or current is None else (None, None)
    if tax is not None:
        fields["id_tax_rules_group"] = str(tax)
    notes += [note] if note else []
    linked = tuple(sorted({categories[c] for c in source.categories if c in categories}))
    default = categories.get(p.category_id) if p.category_id else None
    if default is None and current is None:
        default = view.tree.home if not linked else linked[0]
    if default is not None:
        fields["id_category_default"] = str(default)
        linked = tuple(sorted({*linked, default}))
    texts = _texts(source, view, current)
    if missing := [lang.iso_code for lang in view.languages if lang.iso_code not in present(p.name)]:
        notes.append(f"no text in {', '.join(missing)}: filled from the fallback language where the shop had none")
    if manufacturer is not None:
        fields["id_manufacturer"] = str(manufacturer)
    stock: int | None = p.quantity
    if has_combinations or source.combinations:
        stock = None  # kept per combination; the product's own row is their sum (wire README, fact 18)
    return Wanted(State(fields, texts, linked or None, stock, features), tuple(notes))


def _optional(source: Source) -> dict[str, str]:
    p, out = source.product, {}
    for name in ("wholesale_price", "weight", "width", "height", "depth"):
        value = getattr(p, name)
        if value is not None:
            out[name] = _money(value)
    for name in ("ean13", "isbn", "upc", "mpn"):
        value = getattr(p, name)
        if value is not None:
            out[name] = value
    if p.minimal_quantity is not None:
        out["minimal_quantity"] = str(p.minimal_quantity)
    return out


def _texts(source: Source, view: ShopView, current: State | None) -> dict[str, dict[int, str]]:
    """Each text field in each shop language the export should set.

    The catalogue's own languages always; the others (fallback text) when creating, or where the
    shop's text is empty. Slugs: the catalogue's, else made from the name like the shop does,
    only when the shop has none for that language.
    """
    p, out = source.product, {}
    iso_of = view.iso_of
    for name in TEXTS:
        own = present(p.name) if name == "name" else getattr(p, name)  # a name is never sent empty
        chosen: dict[int, str] = {}
        for lang, text in for_languages(own, view).items():
            shop_empty = current is None or not current.texts.get(name, {}).get(lang)
            if iso_of[lang] in own:
                chosen[lang] = own[iso_of[lang]]
            elif shop_empty and (text or current is None):
                chosen[lang] = text  # the fallback's text; "" only on create, where every language is sent
        if chosen:
            out[name] = chosen
    names = {**(current.texts.get("name", {}) if current else {}), **out.get("name", {})}
    slugs = {}
    for lang in iso_of:
        own = p.slug.get(iso_of[lang])
        if own:
            slugs[lang] = own
        elif current is None or not current.texts.get("link_rewrite", {}).get(lang):
            slugs[lang] = slug_of(names.get(lang, "")) or slug_of(p.sku)
    if slugs:
        out["link_rewrite"] = slugs
    return out


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.000001")), "f")
