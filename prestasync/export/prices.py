"""A product's specific prices in one shop: the catalogue's rules present, no twins.

A rule is its combination, starting quantity, reduction (amount or percentage, with or
without tax), fixed price (-1: the product's price) and dates. The shop refuses an exact
duplicate with an empty 500 (wire README, fact 19), so rules already there are never sent
again. Rules for one customer, group, country, currency or shop are the shop's own business
and never touched; a rule this export created earlier that the catalogue no longer has is
deleted (its link says it was ours).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from prestasync.models import SpecificPrice
from prestasync.prestashop import PrestaShopClient, Record

Key = tuple[int, int, str, str, str, str, str, str]
SCOPE = ("id_shop", "id_shop_group", "id_cart", "id_currency", "id_country", "id_group", "id_customer")


@dataclass(frozen=True)
class PricePlan:
    add: tuple[SpecificPrice, ...] = ()
    remove: tuple[int, ...] = ()  # shop ids of rules we created that the catalogue dropped
    shown: dict[str, list[Any]] | None = None


def plan(
    rules: tuple[SpecificPrice, ...],
    shop: tuple[Record, ...],
    combinations: Mapping[int, int],
    ours: set[int],
) -> PricePlan:
    """`combinations` maps catalogue combinations to the shop's; `ours` are the shop ids of rules
    an export created. A rule whose combination the shop lacks yet is added after it exists."""
    present = {_shop_key(r): r.id for r in shop if all(r.fields.get(f, "0") in ("0", "") for f in SCOPE)}
    wanted = {key_of(rule, combinations): rule for rule in rules}
    add = tuple(rule for key, rule in wanted.items() if key not in present)
    remove = tuple(rid for key, rid in present.items() if key not in wanted and rid in ours)
    shown: dict[str, list[Any]] = {f"price[{_label(rule)}]": [None, "added"] for rule in add}
    shown.update({f"price[#{rid}]": ["present", "removed"] for rid in remove})
    return PricePlan(add, remove, shown)


def apply(
    client: PrestaShopClient, product_id: int, prices: PricePlan, combinations: Mapping[int, int]
) -> list[tuple[int, int]]:
    """Create and delete rules; returns (catalogue rule id, shop id) of those created."""
    created = []
    for rule in prices.add:
        fields = _fields(rule, combinations)
        created.append((rule.id, client.create_specific_price(product_id, fields).id))
    for remote_id in prices.remove:
        client.delete("specific_prices", remote_id)
    return created


def key_of(rule: SpecificPrice, combinations: Mapping[int, int]) -> Key:
    attribute = combinations.get(rule.combination_id, -1) if rule.combination_id else 0
    price = _number(rule.price) if rule.price is not None else "-1"
    return (attribute, rule.from_quantity, _number(rule.reduction), rule.reduction_type,
            "1" if rule.reduction_tax else "0", price, rule.date_from, rule.date_to)  # fmt: skip


def _shop_key(record: Record) -> Key:
    f = record.fields
    return (int(f.get("id_product_attribute", "0") or 0), int(f.get("from_quantity", "1") or 1),
            _number(f.get("reduction", "0")), f.get("reduction_type", "amount"), f.get("reduction_tax", "1"),
            _number(f.get("price", "-1")), f.get("from", ""), f.get("to", ""))  # fmt: skip


def _fields(rule: SpecificPrice, combinations: Mapping[int, int]) -> dict[str, str]:
    attribute = combinations.get(rule.combination_id, 0) if rule.combination_id else 0
    return {
        "id_product_attribute": str(attribute),
        "from_quantity": str(rule.from_quantity),
        "reduction": format(rule.reduction, "f"),
        "reduction_type": rule.reduction_type,
        "reduction_tax": "1" if rule.reduction_tax else "0",
        "price": format(rule.price, "f") if rule.price is not None else "-1",
        "from": rule.date_from,
        "to": rule.date_to,
    }


def _number(value: Decimal | str) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format(number.normalize(), "f") if number != -1 else "-1"


def _label(rule: SpecificPrice) -> str:
    off = f"-{_number(rule.reduction)}{'%' if rule.reduction_type == 'percentage' else ''}"
    return f"{off} from {rule.from_quantity}" + (" (combination)" if rule.combination_id else "")
