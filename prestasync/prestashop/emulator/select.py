"""Matching and ordering rows for a listing: filters compared the way MySQL would.

`classes/webservice/WebserviceRequest.php` turns the filters into SQL; the emulator evaluates them.

Numeric columns compare numerically (a string literal is converted to a number), text
case-insensitively with trailing spaces ignored (`*_general_ci`, PAD SPACE), dates as datetimes;
`LIKE` keeps `%`/`_` as wildcards. Selection walks the id-ordered table and stops early when the
order is by id, so keyset pagination (`filter[id]=>[N]&sort=[id_ASC]&limit=100`) costs one page;
equality filters on indexed columns (`reference`, `id_product`) cost no scan at all.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from prestasync.prestashop.emulator import tree
from prestasync.prestashop.emulator.query import ListQuery, php_int
from prestasync.prestashop.emulator.schema import NUMERIC_KINDS, Field, Resource, index_key, mysql_number
from prestasync.prestashop.emulator.store import EmulatedShop, Row

_DATE_LITERAL = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?\s*$")
_SQLU = re.compile(r"^(.*)\[(.*)\](.*)$")
_BETWEEN = re.compile(r"^([\d.:\-\s]+),([\d.:\-\s]+)$")
_NUMERIC_GETTERS = frozenset({"quantity", "position_in_category", "id_default_combination"})


def _sort_key(f: Field) -> Callable[[str], Any]:
    if f.kind in NUMERIC_KINDS or f.name in _NUMERIC_GETTERS:
        return mysql_number
    if f.kind in ("date", "datetime"):
        return _as_datetime
    return lambda v: v.rstrip(" ").casefold()  # *_general_ci collation, PAD SPACE


def _as_datetime(text: str) -> str:
    if len(text) == 19 and text[4] == "-" and text[10] == " ":
        return text  # already "YYYY-MM-DD HH:MM:SS" (every stored datetime)
    m = _DATE_LITERAL.match(text)
    if not m:
        return text
    parts = [int(p or 0) for p in m.groups()]
    return "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format(*parts)


def _like(pattern: str) -> Callable[[str], bool]:
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    compiled = re.compile(rx, re.IGNORECASE | re.DOTALL)
    return lambda v: compiled.fullmatch(v) is not None


def _php_sorted(a: str, b: str) -> tuple[str, str]:
    """PHP 8 `sort()` of two strings: numeric when both are numeric, else by bytes."""
    numeric = all(re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)\s*", x) for x in (a, b))
    swap = float(a) > float(b) if numeric else a > b
    return (b, a) if swap else (a, b)


def compile_filter(f: Field, value: str) -> Callable[[str], bool]:
    """The predicate of `filter[f]=value` (`WebserviceRequest::getSQLRetrieveFilter`).

    `[v]%` is LIKE, `_` included (fact 12, `42_products_filter_reference_like.http`).
    """
    key = _sort_key(f)

    def cmp(op: Callable[[Any, Any], bool], literal: str) -> Callable[[str], bool]:
        lit = key(literal)
        return lambda v: op(key(v), lit)

    def eq(literal: str) -> Callable[[str], bool]:
        return cmp(lambda a, b: a == b, literal)

    m = _SQLU.match(value)
    if m is None:
        return eq(value)
    pre, body, post = m.groups()
    if pre == "%" or post == "%":
        return _like(pre + body + post)
    if pre == "" and post == "":
        if body.find("|") > 0:
            wanted = {key(x) for x in body.split("|")}  # one key per row, not one comparison per literal
            return lambda v: key(v) in wanted
        between = _BETWEEN.match(body)
        if between:
            lo, hi = _php_sorted(*between.groups())
            low, high = cmp(lambda a, b: a >= b, lo), cmp(lambda a, b: a <= b, hi)
            return lambda v: low(v) and high(v)
        return eq(body)
    if pre in (">", "<"):
        return cmp((lambda a, b: a > b) if pre == ">" else (lambda a, b: a < b), body)
    if pre == "!":
        tests = [eq(x) for x in body.split("|")]
        return lambda v: not any(t(v) for t in tests)
    return lambda v: True  # any other prefix adds no SQL condition


def equality_literals(value: str) -> list[str] | None:
    """The literals of an `=` / `[a|b]` filter (what an index can answer), else None."""
    m = _SQLU.match(value)
    if m is None:
        return [value]
    pre, body, post = m.groups()
    if pre or post or _BETWEEN.match(body):
        return None
    return body.split("|") if body.find("|") > 0 else [body]


def id_bounds(value: str) -> tuple[float, float]:
    """Inclusive numeric bounds implied by an id filter, for the range scan (else everything)."""
    m = _SQLU.match(value)
    if m is None or m.group(3) == "%" or m.group(1) == "%":
        return -math.inf, math.inf
    pre, body, _ = m.groups()
    between = _BETWEEN.match(body) if pre == "" else None
    if between:
        lo, hi = sorted(mysql_number(x) for x in between.groups())
        return lo, hi
    if pre == ">":
        return math.floor(mysql_number(body)) + 1, math.inf
    if pre == "<":
        return -math.inf, math.ceil(mysql_number(body)) - 1
    return -math.inf, math.inf


def _candidates(shop: EmulatedShop, res: Resource, q: ListQuery, descending: bool) -> Iterator[Row]:
    table = shop.tables[res.name]
    lo, hi = -math.inf, math.inf
    for f, value in q.filters:
        if f.kind == "id":
            a, b = id_bounds(value)
            lo, hi = max(lo, a), min(hi, b)
    indexed = _indexed_ids(table.index, q)
    if indexed is not None:
        ids = sorted(i for i in indexed if lo <= i <= hi)
        return (table.rows[i] for i in (reversed(ids) if descending else ids))
    start = 0 if lo == -math.inf else bisect.bisect_left(table.ids, lo)
    stop = len(table.ids) if hi == math.inf else bisect.bisect_right(table.ids, hi)
    indexes = range(stop - 1, start - 1, -1) if descending else range(start, stop)
    return (table.rows[table.ids[i]] for i in indexes)


def _indexed_ids(index: dict[str, dict[str, list[int]]], q: ListQuery) -> set[int] | None:
    """Ids an equality filter on an indexed column allows (None: no such filter, scan)."""
    found: set[int] | None = None
    for f, value in q.filters:
        literals = equality_literals(value)
        if literals is None or f.name not in index:
            continue
        ids = {i for lit in literals for i in index[f.name].get(index_key(f, lit), ())}
        found = ids if found is None else found & ids
    return found


def _matcher(shop: EmulatedShop, res: Resource, q: ListQuery) -> Callable[[Row], bool]:
    plain = [(f, compile_filter(f, v)) for f, v in q.filters if not f.i18n]
    i18n = [(f, compile_filter(f, v)) for f, v in q.filters if f.i18n]

    def matches(row: Row) -> bool:
        if not all(t(shop.value(res, row, f)) for f, t in plain):
            return False
        if not i18n:
            return True
        # One joined `_lang` row per language: all i18n conditions must hold in the same language.
        values = [(shop.i18n(res, row, f), t) for f, t in i18n]
        return any(all(t(v[lang]) for v, t in values) for lang in q.languages)

    return matches


def select_rows(shop: EmulatedShop, res: Resource, q: ListQuery) -> list[Row]:
    """The page of rows a listing returns (default order: id ascending; categories by depth)."""
    matches = _matcher(shop, res, q)
    by_id = not q.sort or (len(q.sort) == 1 and q.sort[0][0].kind == "id")
    descending = bool(q.sort) and q.sort[0][1]
    rows: Iterator[Row] = (row for row in _candidates(shop, res, q, descending and by_id) if matches(row))
    if res.name == "categories" and not q.sort:
        # Categories come level by level, each level in tree order (26_categories_full.http).
        order = {cid: i for i, cid in enumerate(tree.subtree_preorder(shop, 1))}
        rows = iter(sorted(rows, key=lambda r: (_depth(r), order.get(int(r["id"]), len(order)))))
    elif not by_id:
        found = list(rows)
        for f, desc in reversed(q.sort):
            found.sort(key=_row_key(shop, res, f, q.languages[0]), reverse=desc)
        rows = iter(found)
    page: list[Row] = []
    for i, row in enumerate(rows):
        if q.count is not None and len(page) >= q.count:
            break
        if i >= q.offset:
            page.append(row)
    return page


def _row_key(shop: EmulatedShop, res: Resource, f: Field, lang: int) -> Callable[[Row], Any]:
    key = _sort_key(f)
    if f.i18n:
        return lambda row: key(shop.i18n(res, row, f)[lang])
    return lambda row: key(shop.value(res, row, f))


def _depth(row: Row) -> int:
    return php_int(str(row.get("level_depth") or "0"))
