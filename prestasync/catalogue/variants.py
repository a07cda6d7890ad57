"""Combinations: a product's variants, matched to the catalogue's across imports and shops.

A shop's combination is matched to one of the product's catalogue combinations by, in order:
this shop's link (`RemoteLink(kind="combination")`); its reference, when the reference is
non-empty and unique among the product's combinations on both sides (a combination may carry
its product's reference, README fact 4, so a shared one says nothing); its set of attribute
values. What matches nothing is new; catalogue combinations the shop no longer has are deleted
(with their specific prices). Each one's stock is its own `stock_availables` row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from prestasync.catalogue.incoming import IncomingCombination
from prestasync.catalogue.links import drop_links, links_of, one_to_one, sync_links
from prestasync.catalogue.rows import assign, chunks, rows_where
from prestasync.models import Combination, SpecificPrice

Pick = Callable[[IncomingCombination, dict[int, Combination]], Combination | None]


def sync_combinations(
    session: Session,
    shop_id: int,
    wanted: Mapping[int, Sequence[IncomingCombination]],
    images: Mapping[tuple[int, int], int],
) -> tuple[set[int], dict[int, int]]:
    """Make each product's combinations exactly `wanted[product id]`.

    `images` maps (product id, shop image id) to catalogue image ids. Returns the products whose
    combinations changed and the catalogue combination id of each shop combination.
    """
    rows: dict[int, list[Combination]] = {pid: [] for pid in wanted}
    for row in rows_where(session, Combination, Combination.product_id, list(wanted)):
        rows[row.product_id].append(row)
    remote_ids = {c.remote_id for combos in wanted.values() for c in combos}
    local_ids = {row.id for group in rows.values() for row in group}
    linked = {
        link.remote_id: link.local_id
        for link in links_of(session, shop_id, "combination", local_ids=local_ids, remote_ids=remote_ids)
    }
    changed: set[int] = set()
    chosen: dict[int, Combination] = {}
    for pid, combos in wanted.items():
        free = {row.id: row for row in sorted(rows[pid], key=lambda r: r.id)}
        matched = _match(combos, free, linked)
        for combo in combos:
            row = matched.get(combo.remote_id)
            if row is None:
                row = Combination(product_id=pid, values=[], images=[])
                session.add(row)
                changed.add(pid)
            if _update(row, combo, [images[(pid, i)] for i in combo.images if (pid, i) in images]):
                changed.add(pid)
            chosen[combo.remote_id] = row
        if free:
            changed.add(pid)
            _delete(session, list(free.values()))
    session.flush()
    ids = {remote: row.id for remote, row in chosen.items()}
    sync_links(session, shop_id, "combination", one_to_one(ids.items()), local_scope=local_ids, remote_scope=remote_ids)
    return changed, ids


def _match(
    combos: Sequence[IncomingCombination], free: dict[int, Combination], linked: Mapping[int, int]
) -> dict[int, Combination]:
    """Pair shop combinations with catalogue rows (taken out of `free`): links first, then unique
    references, then attribute value sets, each pass over what the earlier ones left."""
    shop_refs = Counter(c.reference for c in combos if c.reference)
    local_refs = Counter(row.reference for row in free.values() if row.reference)

    def by_link(combo: IncomingCombination, rows: dict[int, Combination]) -> Combination | None:
        local = linked.get(combo.remote_id)
        return rows.get(local) if local is not None else None

    def by_reference(combo: IncomingCombination, rows: dict[int, Combination]) -> Combination | None:
        if not combo.reference or shop_refs[combo.reference] > 1 or local_refs[combo.reference] > 1:
            return None
        return next((r for r in rows.values() if r.reference == combo.reference), None)

    def by_values(combo: IncomingCombination, rows: dict[int, Combination]) -> Combination | None:
        return next((r for r in rows.values() if list(r.values) == list(combo.values)), None)

    matched: dict[int, Combination] = {}
    passes: tuple[Pick, ...] = (by_link, by_reference, by_values)
    for pick in passes:
        for combo in combos:
            if combo.remote_id not in matched and (row := pick(combo, free)) is not None:
                matched[combo.remote_id] = free.pop(row.id)
    return matched


def _delete(session: Session, rows: list[Combination]) -> None:
    """Delete combinations with their specific prices, and every shop's links to both (the
    database would cascade the prices, but not the links, which name no foreign key)."""
    ids = [row.id for row in rows]
    prices = [p.id for p in rows_where(session, SpecificPrice, SpecificPrice.combination_id, ids)]
    drop_links(session, "specific_price", prices)
    drop_links(session, "combination", ids)
    for chunk in chunks(prices):
        session.execute(delete(SpecificPrice).where(SpecificPrice.id.in_(chunk)))
    for row in rows:
        session.delete(row)


def _update(row: Combination, combo: IncomingCombination, images: list[int]) -> bool:
    """Bring a row to the shop's combination; True when something changed."""
    codes = assign(row, reference=combo.reference, ean13=combo.ean13, isbn=combo.isbn, upc=combo.upc, mpn=combo.mpn)
    impacts = assign(row, price_impact=combo.price_impact, weight_impact=combo.weight_impact)
    rest = assign(
        row,
        minimal_quantity=combo.minimal_quantity,
        is_default=combo.is_default,
        quantity=combo.quantity,
        position=combo.position,
        values=list(combo.values),
        images=list(dict.fromkeys(images)),
    )
    return codes or impacts or rest
