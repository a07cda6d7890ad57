"""What catalogue records are called in each shop (`RemoteLink`), kept in step by imports.

A link says "catalogue record `local_id` of this kind is record `remote_id` in that shop"; both
sides are unique per shop and kind. An import makes the links it is responsible for (a scope:
every link of a kind, or those touching some records) equal to what it found, with a fixed
number of statements: load the scope, delete what no longer holds, insert what is new.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from prestasync.catalogue.rows import chunks
from prestasync.models import RemoteLink


def links_of(
    session: Session,
    shop_id: int,
    kind: str,
    *,
    local_ids: Collection[int] | None = None,
    remote_ids: Collection[int] | None = None,
) -> list[RemoteLink]:
    """The shop's links of `kind`: all of them, or those touching the given local or remote ids."""
    base = select(RemoteLink).where(RemoteLink.shop_id == shop_id, RemoteLink.kind == kind)
    if local_ids is None and remote_ids is None:
        return list(session.execute(base).scalars())
    found: dict[int, RemoteLink] = {}
    for column, ids in ((RemoteLink.local_id, local_ids), (RemoteLink.remote_id, remote_ids)):
        for chunk in chunks(sorted(set(ids or ()))):
            for link in session.execute(base.where(column.in_(chunk))).scalars():
                found[link.id] = link
    return list(found.values())


def sync_links(
    session: Session,
    shop_id: int,
    kind: str,
    wanted: Mapping[int, int],
    *,
    checksums: Mapping[int, str] | None = None,
    local_scope: Collection[int] | None = None,
    remote_scope: Collection[int] | None = None,
) -> None:
    """Make the shop's links of `kind` within a scope exactly `wanted` (remote id -> local id).

    Without a scope, every link of that kind is in it (reference data read whole); otherwise
    the links touching `local_scope`, `remote_scope` or any id in `wanted`. `checksums` (by
    remote id) is stored with each link. `wanted` must be one-to-one.
    """
    sums = checksums or {}
    if local_scope is None and remote_scope is None:
        existing = links_of(session, shop_id, kind)
    else:
        locals_ = set(local_scope or ()) | set(wanted.values())
        existing = links_of(session, shop_id, kind, local_ids=locals_, remote_ids={*(remote_scope or ()), *wanted})
    kept: set[int] = set()
    stale: list[int] = []
    refresh: list[dict[str, Any]] = []
    for link in existing:
        if wanted.get(link.remote_id) == link.local_id:
            kept.add(link.remote_id)
            if sums.get(link.remote_id) != link.checksum:
                refresh.append({"id": link.id, "checksum": sums.get(link.remote_id)})
        else:
            stale.append(link.id)
    for chunk in chunks(stale):
        session.execute(delete(RemoteLink).where(RemoteLink.id.in_(chunk)))
    if refresh:
        session.execute(update(RemoteLink), refresh)
    fresh = [
        {"shop_id": shop_id, "kind": kind, "local_id": local, "remote_id": remote, "checksum": sums.get(remote)}
        for remote, local in wanted.items()
        if remote not in kept
    ]
    if fresh:
        session.execute(insert(RemoteLink), fresh)


def drop_links(session: Session, kind: str, local_ids: Iterable[int]) -> None:
    """Forget, in every shop, the links of catalogue records that are being deleted."""
    for chunk in chunks(sorted(set(local_ids))):
        session.execute(delete(RemoteLink).where(RemoteLink.kind == kind, RemoteLink.local_id.in_(chunk)))


def one_to_one(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Remote -> local pairs with each local id once: the lowest remote id wins.

    Shops accept duplicates (two values named "Red" in one group, README fact 19); both map to
    one catalogue record, and a link can name only one of them.
    """
    out: dict[int, int] = {}
    taken: set[int] = set()
    for remote, local in sorted(pairs):
        if local not in taken and remote not in out:
            out[remote] = local
            taken.add(local)
    return out
