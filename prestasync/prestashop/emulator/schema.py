"""What a resource is made of: its fields, their kinds and flags, its association blocks, its errors.

The shapes follow a resource's `$definition` and `$webserviceParameters` in PrestaShop 8.1 (for
instance `classes/Product.php`), as the webservice renders them: field order, `xlink:href` links,
`notFilterable` getters, the `?schema=synopsis` attributes. The definitions themselves live in the
`defs_*` modules; `resources.py` gathers them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Stored ("DB") representation of an unset value, by kind. `getter`/`virtual` fields are computed.
ZERO = {
    "int": "0",
    "bool": "0",
    "dec6": "0.000000",
    "dec2": "0.00",
    "str": "",
    "date": "0000-00-00",
    "datetime": "0000-00-00 00:00:00",
    "getter": "",
    "virtual": "",
}
NUMERIC_KINDS = frozenset({"id", "int", "bool", "dec6", "dec2"})
_NUM_PREFIX = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def mysql_number(text: str) -> float:
    """How MySQL reads a string in a numeric comparison: its numeric prefix, else 0."""
    m = _NUM_PREFIX.match(text)
    return float(m.group(0)) if m else 0.0


def index_key(f: Field, text: str) -> str:
    """The key under which `=` finds a value: numbers by value, text case-insensitively (PAD SPACE)."""
    return repr(mysql_number(text)) if f.kind in NUMERIC_KINDS else text.rstrip(" ").casefold()


@dataclass(frozen=True)
class Field:
    """One field of a resource, with what the webservice and `ObjectModel` know about it."""

    name: str
    kind: str
    validate: str | None = None
    size: int | None = None
    required: bool = False
    i18n: bool = False
    href: str | None = None  # xlink resource; dropped when the value is 0/empty
    getter: bool = False  # computed: rendered notFilterable, filtering it is error 34
    writable: bool = True  # `setter => false` / read only: sending it is error 93
    values: tuple[str, ...] | None = None
    default: str | None = None  # ObjectModel `default`, applied when the value is falsy
    nullable: bool = False  # `allow_null`: an unset value is stored NULL, rendered ''
    in_blank: bool = True  # listed by `?schema=blank`

    @property
    def zero(self) -> str:
        return "" if self.nullable else ZERO.get(self.kind, "")


@dataclass(frozen=True)
class AssocField:
    """A field of an association item (`<category><id>…</id></category>`)."""

    name: str
    required: bool = True  # `required="true"` in the synopsis
    href: str | None = None  # the value links to `<href>/<value>` (product features' values)
    schema_href: bool = False  # the synopsis shows `xlink:href="…/<href>/"` on the empty field


@dataclass(frozen=True)
class Assoc:
    """An association block (`<categories nodeType="category" api="categories">`).

    `item_href` is the path an item links to, with `{id}` (the item) and `{owner}` (the record,
    for images) filled in; None when items carry no link.
    """

    name: str
    node: str
    api: str
    fields: tuple[AssocField, ...] = (AssocField("id"),)
    item_href: str | None = None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Resource:
    """A webservice resource as the emulator serves it."""

    name: str
    node: str
    cls: str
    description: str
    fields: tuple[Field, ...]
    assocs: tuple[Assoc, ...] = ()
    validate_order: tuple[str, ...] = ()
    patch_keeps_languages: bool = False  # PATCH with some languages of a field keeps the others
    forbidden: frozenset[str] = frozenset()  # methods the resource refuses: error 101
    by_name: dict[str, Field] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update((f.name, f) for f in self.fields)

    def field(self, name: str) -> Field | None:
        return self.by_name.get(name)

    def assoc(self, name: str) -> Assoc | None:
        return next((a for a in self.assocs if a.name == name), None)

    def validation_fields(self) -> list[Field]:
        """Fields in `ObjectModel` definition order: i18n first (error 84), then the rest (85)."""
        order = self.validate_order or tuple(f.name for f in self.fields)
        plain = [self.by_name[n] for n in order]
        plain = [f for f in plain if not f.i18n and f.kind not in ("id", "getter", "virtual") and f.writable]
        return [f for f in self.fields if f.i18n] + plain


class WsError(Exception):
    """Errors the webservice answers with: `(http status, code, message)`; the last status wins."""

    def __init__(self, *errors: tuple[int, int, str]) -> None:
        super().__init__(errors[-1][2] if errors else "")
        self.errors = list(errors)

    @property
    def status(self) -> int:
        return self.errors[-1][0]


class RawAnswer(Exception):
    """An answer that is not a webservice body: an empty 500 (a PHP fatal error), a 302, a 404 page."""

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or []


def lang(name: str, validate: str, size: int | None = None, required: bool = False) -> Field:
    """A multilanguage text field."""
    return Field(name, "str", validate, size=size, i18n=True, required=required)


def getter(name: str, href: str | None = None, writable: bool = True) -> Field:
    """A field computed on read (`getter` in `$webserviceParameters`)."""
    return Field(name, "getter", href=href, getter=True, writable=writable)


def ids(*names: str, href: dict[str, str] | None = None) -> tuple[Field, ...]:
    """Unsigned id fields, optionally linking to a resource."""
    links = href or {}
    return tuple(Field(n, "int", "isUnsignedId", href=links.get(n)) for n in names)
