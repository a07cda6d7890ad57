"""The ground every outside shape stands on: the frozen `Out` model, a `Page` of a list, the
error answer, the largest id taken, and how prices, texts and instants are written out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")

# The largest id the API and the CLI take: 2**53 - 1, the largest integer every JSON reader holds
# exactly (JavaScript's Number.MAX_SAFE_INTEGER). At 2**63 - 1 (what BIGINT stores) a schema's
# `maximum` read as a float rounds up to 2**63, so a client checking it accepts ids the server
# then refuses. No real id comes near either bound.
ID_MAX = 2**53 - 1


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Page(Out, Generic[T]):
    """A page of a longer list: `total` counts all of it."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Problem(Out):
    """Every error answer of the API."""

    detail: str


def money(value: Decimal) -> str:
    """A price as text: two decimals when that is exact, else every significant digit."""
    cents = value.quantize(Decimal("0.01"))
    return str(cents) if cents == value else format(value.normalize(), "f")


def as_text(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (`=HYPERLINK(...)`)
    gets a leading `'` instead of being run when the file is opened."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
