"""The catalogue's file columns, declared once: what each is called, how a cell is read and
checked, how a value is written out, and which `Product` column it fills.

A catalogue file (`catalogue export`, or one a person made) has one column per entry of
`FIELDS`, except per-language texts, which have one column per language: `name_en`,
`name_pl`, `description_en`… Adding a catalogue field is adding one `Field` here: the
import (`fileimport.py`), the export (`catalogue_file.py`), the profiles' targets and the
no-profile header all follow.

Reading rules that hold for every field:
- an empty cell means "the file says nothing here": the product keeps its value (a new
  product gets the column's default, or, for a field `required_for_new`, a row error);
- a text cell that a spreadsheet would run as a formula was written with a leading `'`
  (`contract.as_text`); reading takes exactly that one `'` off again, so export → import
  changes nothing, and a formula in a file (`=HYPERLINK(…)`) is kept as plain text;
- a value that cannot be used raises `BadCell` with a short, fixed `cause` ("price is not a
  number") that groups alike failures, and the value itself in `detail`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from prestasync.contract import as_text, money
from prestasync.errors import InvalidInput
from prestasync.models import SKU_MAX, Product

# What a reader hands over for one cell: CSV gives text, XLSX also numbers, booleans, dates.
Cell = str | int | float | Decimal | bool | datetime | date | time | None

PRICE_MAX = Decimal("100000000000000")  # Money is Numeric(20, 6): 14 digits before the point
PRICE_PLACES = 6
QUANTITY_MAX = 2**31 - 1  # the Integer column on every engine
# PrestaShop's ps_product_lang: `name` VARCHAR(128), `description` TEXT (65,535 bytes), per
# install/data/db_structure.sql; longer values would fail at the shop, so they fail here.
NAME_MAX_CHARS = 128
DESCRIPTION_MAX_BYTES = 65_535
LANGUAGE = re.compile(r"[a-z]{2}")  # PrestaShop's `iso_code`: two letters
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "tak"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "nie"})


class BadCell(InvalidInput):
    """A cell whose value cannot be used. `cause` groups alike failures; `code` is machine-readable."""

    def __init__(self, cause: str, code: str, detail: str = "", *, message: str | None = None) -> None:
        super().__init__(message or (f"{cause} ({detail})" if detail else cause))
        self.cause, self.code, self.detail = cause, code, detail


@dataclass(frozen=True)
class ReadContext:
    """How cells of one file are read (from its profile's options)."""

    decimal_comma: bool = False


@dataclass(frozen=True, eq=False)  # one instance per field: compared and hashed by identity (cheap)
class Field:
    """One catalogue field as files see it.

    `name` is the column (or, when `localised`, the prefix of one column per language) and
    the `Product` attribute it fills; `parse` turns a non-empty cell into the value (or
    raises BadCell), `render` a value into a cell; `default` is a new product's value when
    the file says nothing; `changes` turns a value into what a ledger row's `changes` shows.
    """

    name: str
    parse: Callable[[Cell, ReadContext], Any]
    render: Callable[[Any], Cell]
    default: Callable[[], Any]
    localised: bool = False
    required_for_new: bool = False
    key: bool = False
    changes: Callable[[Any], Any] = lambda value: value
    help: str = ""


# -- cell readers ---------------------------------------------------------------------------------


def unescape(text: str) -> str:
    """Undo `escape`: one leading `'` that only protects a formula-like text is dropped."""
    rest = text[1:]
    return rest if text[:1] == "'" and _formula_like(rest.lstrip("'")) else text


def escape(text: str) -> str:
    """A text cell a spreadsheet shows as text (`contract.as_text`), reversibly: a text that
    already starts with `'` before a formula character gets one more, so `unescape` gives it back."""
    return "'" + text if _formula_like(text.lstrip("'")) else text


def _formula_like(text: str) -> bool:
    return as_text(text) != text


def text_of(cell: Cell) -> str:
    """A cell as text: whole numbers without `.0`, dates in ISO form."""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date | time):
        return cell.isoformat()
    if isinstance(cell, str):
        return unescape(cell)
    return str(cell)


def _sku(cell: Cell, ctx: ReadContext) -> str:
    sku = text_of(cell).strip()
    if len(sku) > SKU_MAX:
        raise BadCell(f"SKU is longer than {SKU_MAX} characters", "sku_too_long", f"{len(sku)} characters")
    if any(ord(ch) < 32 for ch in sku):
        raise BadCell("SKU holds a control character", "invalid_sku", repr(sku[:40]))
    return sku


def _text(limit_chars: int | None = None, limit_bytes: int | None = None, what: str = "text") -> Callable[..., str]:
    def parse(cell: Cell, ctx: ReadContext) -> str:
        text = text_of(cell)
        if limit_chars is not None and len(text) > limit_chars:
            raise BadCell(f"{what} is longer than {limit_chars} characters", "too_long", f"{len(text)} characters")
        if limit_bytes is not None and len(text.encode()) > limit_bytes:
            raise BadCell(f"{what} is longer than {limit_bytes} bytes", "too_long", f"{len(text.encode())} bytes")
        return text

    return parse


def _price(cell: Cell, ctx: ReadContext) -> Decimal:
    if isinstance(cell, bool):
        raise BadCell("price is not a number", "invalid_price", repr(text_of(cell)))
    if isinstance(cell, int | float | Decimal):
        raw = repr(cell) if isinstance(cell, float) else str(cell)  # repr: the shortest exact form
    else:
        raw = text_of(cell).strip()
        if ctx.decimal_comma and "," in raw and "." not in raw:
            raw = raw.replace(",", ".", 1)
    if not re.fullmatch(r"\+?\d+(\.\d*)?|\+?\.\d+|\d+(\.\d*)?[eE][-+]?\d+", raw):
        hint = "; a decimal comma needs a profile with decimal_comma" if "," in raw and not ctx.decimal_comma else ""
        if raw.startswith("-") and _is_number(raw[1:]):
            raise BadCell("price is negative", "invalid_price", repr(raw[:40]))
        raise BadCell("price is not a number", "invalid_price", repr(raw[:40]) + hint)
    value = Decimal(raw)
    if value >= PRICE_MAX:
        raise BadCell("price is too large", "invalid_price", repr(raw[:40]))
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > PRICE_PLACES:
        raise BadCell(f"price has more than {PRICE_PLACES} decimal places", "invalid_price", repr(raw[:40]))
    return value.quantize(Decimal(1).scaleb(-PRICE_PLACES))


def _is_number(raw: str) -> bool:
    try:
        return Decimal(raw).is_finite()
    except InvalidOperation:
        return False


def _quantity(cell: Cell, ctx: ReadContext) -> int:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    raw = str(cell) if isinstance(cell, int) and not isinstance(cell, bool) else text_of(cell).strip()
    if not re.fullmatch(r"[-+]?\d{1,12}", raw):
        raise BadCell("quantity is not a whole number", "invalid_quantity", repr(raw[:40]))
    value = int(raw)
    if abs(value) > QUANTITY_MAX:
        raise BadCell("quantity is too large", "invalid_quantity", repr(raw[:40]))
    return value


def _active(cell: Cell, ctx: ReadContext) -> bool:
    if isinstance(cell, bool):
        return cell
    word = text_of(cell).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadCell("active is not yes or no (1/0, true/false)", "invalid_active", repr(word[:40]))


def _as_is(value: Any) -> Cell:
    return value  # type: ignore[no-any-return]


# -- the registry -----------------------------------------------------------------------------

FIELDS: tuple[Field, ...] = (
    Field("sku", _sku, _as_is, str, key=True, help="the product's reference; matches file rows to products"),
    Field(
        "name",
        _text(limit_chars=NAME_MAX_CHARS, what="name"),
        _as_is,
        dict,
        localised=True,
        help="the product's name in one language (name_en, name_pl…)",
    ),
    Field(
        "description",
        _text(limit_bytes=DESCRIPTION_MAX_BYTES, what="description"),
        _as_is,
        dict,
        localised=True,
        help="the product's description (HTML) in one language",
    ),
    Field(
        "price",
        _price,
        _as_is,
        lambda: Decimal(0),
        required_for_new=True,
        changes=money,
        help="the price without tax; a decimal point, or a decimal comma with a profile saying so",
    ),
    Field("quantity", _quantity, _as_is, int, help="stock, a whole number"),
    Field("active", _active, lambda value: 1 if value else 0, lambda: True, help="1 or 0 (true/false, yes/no)"),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
KEY = next(f for f in FIELDS if f.key)


@dataclass(frozen=True)
class Target:
    """One catalogue column: a field, and the language for a per-language text."""

    field: Field
    language: str | None = None

    @property
    def column(self) -> str:
        return f"{self.field.name}_{self.language}" if self.language else self.field.name


def target(column: str) -> Target | None:
    """The catalogue column a header names (`price`, `name_en`; case and spaces ignored), or None."""
    name = column.strip().lower()
    if name in BY_NAME and not BY_NAME[name].localised:
        return Target(BY_NAME[name])
    prefix, _, language = name.rpartition("_")
    field = BY_NAME.get(prefix)
    if field is not None and field.localised and LANGUAGE.fullmatch(language):
        return Target(field, language)
    return None


def columns(languages: Mapping[str, list[str]]) -> list[Target]:
    """Every catalogue column, in file order; a per-language field once for each of its `languages`."""
    out: list[Target] = []
    for field in FIELDS:
        out += [Target(field, lang) for lang in languages.get(field.name, [])] if field.localised else [Target(field)]
    return out


def current(product: Product) -> dict[str, Any]:
    """The product's values, by field name, as `Field.parse` would give them."""
    return {f.name: getattr(product, f.name) for f in FIELDS if not f.key}


def merged(before: Mapping[str, Any] | None, given: Mapping[Target, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A product's values after a file row, and what changed (`{"price": [old, new]}`, per
    language `{"name.en": [old, new]}`), from its values `before` (None: a new product).

    Only what the row gives changes: languages and fields the file has no value for keep theirs.
    """
    after = {f.name: (before[f.name] if before is not None else f.default()) for f in FIELDS if not f.key}
    changes: dict[str, Any] = {}
    for tgt, value in given.items():
        field = tgt.field
        if tgt.language is not None:
            texts = dict(after[field.name])
            old = texts.get(tgt.language)
            if old != value or before is None:
                texts[tgt.language] = value
                after[field.name] = texts
                if old != value:
                    changes[f"{field.name}.{tgt.language}"] = [old, value]
        else:
            old = after[field.name] if before is not None else None
            if before is None or old != value:
                after[field.name] = value
                changes[field.name] = [None if old is None else field.changes(old), field.changes(value)]
    return after, changes
