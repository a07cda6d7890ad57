"""The catalogue as a file: its header and its rows, read page by page (constant memory).

The columns are the registry's (`fields.py`) in its order, a per-language text once per
language any product has it in (`name_en`, `name_pl`…), so the file imports back with no
profile and changes nothing. Products come in SKU order, a keyset page at a time, each page
from its own short read, so a long download holds nothing open between pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from prestasync import fields, filewriter
from prestasync.fields import Cell, Target
from prestasync.models import Product

PAGE = 1000


def languages(bind: Engine | Connection) -> dict[str, list[str]]:
    """For each per-language field, the languages any product has a text in, sorted."""
    localised = [f.name for f in fields.FIELDS if f.localised]
    found: dict[str, set[str]] = {name: set() for name in localised}
    last = 0
    while True:
        with Session(bind) as session:
            columns = [getattr(Product, name) for name in localised]
            query = select(Product.id, *columns).where(Product.id > last).order_by(Product.id).limit(PAGE)
            page = session.execute(query).all()
        if not page:
            return {name: sorted(langs) for name, langs in found.items()}
        for product_id, *texts in page:
            for name, value in zip(localised, texts, strict=True):
                found[name].update(value or {})
            last = product_id


def header(targets: list[Target]) -> list[str]:
    return [t.column for t in targets]


def rows(bind: Engine | Connection, targets: list[Target]) -> Iterator[list[Cell]]:
    """One row per product, in SKU order."""
    after = ""
    first = True
    while True:
        with Session(bind) as session:
            query = select(Product).order_by(Product.sku).limit(PAGE)
            if not first:
                query = query.where(Product.sku > after)
            page = list(session.execute(query).scalars())
        if not page:
            return
        for product in page:
            yield [_cell(product, t) for t in targets]
        after, first = page[-1].sku, False


def _cell(product: Product, target: Target) -> Cell:
    value = getattr(product, target.field.name)
    if target.language is not None:
        text = (value or {}).get(target.language)
        return None if text is None else target.field.render(text)
    return target.field.render(value)


def targets(bind: Engine | Connection) -> list[Target]:
    return fields.columns(languages(bind))


def write(bind: Engine | Connection, path: Path) -> int:
    """Write the catalogue to `path` (.csv or .xlsx, by its extension); returns the products written."""
    columns = targets(bind)
    return filewriter.write_file(path, header(columns), rows(bind, columns), title="catalogue")
