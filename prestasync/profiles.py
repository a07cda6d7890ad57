"""Import profiles, and how a file's header becomes catalogue columns.

A profile is chosen once for files of one shape (an ERP's export, a supplier's price list)
and saved by name: a mapping from the file's column headers to catalogue columns (`""`
ignores a column), and how the file is read (delimiter, encoding, decimal comma, sheet).

Without a profile a file's own headers are its catalogue columns (`sku`, `price`,
`name_en`…; case and surrounding spaces ignored), which is what `catalogue export` writes,
so an exported file imports back as it is. With one, a header the mapping names goes where
the mapping says, and any other header is still taken when it is a catalogue column.
Headers that are neither are ignored and reported once (the job's `ignored_columns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prestasync import fields
from prestasync.contract import ProfileOptions
from prestasync.errors import FileRejected, InvalidInput, NotFoundError
from prestasync.fields import Cell, Target
from prestasync.filereader import check_encoding
from prestasync.models import PROFILE_NAME_MAX, ImportProfile, utcnow

HEADER_MAX = 200  # characters in one column header a mapping names
MAPPING_MAX = 500  # columns one mapping names
FORBIDDEN_DELIMITERS = frozenset({'"', "'", "\r", "\n", " "})


class ProfileNotFound(NotFoundError):
    """No import profile by that name."""


@dataclass(frozen=True)
class Layout:
    """A file's header read as catalogue columns: one target (or None: not read) per column."""

    headers: tuple[str, ...]
    targets: tuple[Target | None, ...]
    ignored: tuple[str, ...]  # headers that are not catalogue columns (reported once)

    @property
    def key_index(self) -> int:
        return next(i for i, t in enumerate(self.targets) if t is not None and t.field.key)


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > PROFILE_NAME_MAX or any(ord(ch) < 32 for ch in name):
        raise InvalidInput(f"a profile name is 1 to {PROFILE_NAME_MAX} characters, without control characters")
    return name


def check_options(options: ProfileOptions) -> ProfileOptions:
    """The options with the encoding's canonical name, or InvalidInput saying what is wrong."""
    if options.delimiter in FORBIDDEN_DELIMITERS:
        raise InvalidInput(f"{options.delimiter!r} cannot be a delimiter; use e.g. ',' ';' or a tab")
    return options.model_copy(update={"encoding": check_encoding(options.encoding)})


def check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """The mapping with catalogue columns in their canonical spelling, or InvalidInput."""
    if len(mapping) > MAPPING_MAX:
        raise InvalidInput(f"a mapping names at most {MAPPING_MAX} columns")
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for header, column in mapping.items():
        if not header.strip() or len(header) > HEADER_MAX:
            raise InvalidInput(f"a mapped file column is 1 to {HEADER_MAX} characters")
        if not column.strip():
            clean[header.strip()] = ""
            continue
        target = fields.target(column)
        if target is None:
            raise InvalidInput(f"{column!r} is not a catalogue column; the columns are {_known()}")
        if target.column in used:
            raise InvalidInput(f"{used[target.column]!r} and {header!r} both map to {target.column}")
        used[target.column] = header
        clean[header.strip()] = target.column
    return clean


def _known() -> str:
    return ", ".join(f"{f.name}_<language>" if f.localised else f.name for f in fields.FIELDS)


def layout(header: Sequence[Cell], mapping: dict[str, str]) -> Layout:
    """Read a header row as catalogue columns, or FileRejected saying why the file cannot be imported."""
    names = tuple(fields.text_of(c).strip() if c is not None else "" for c in header)
    by_header = {k.strip().lower(): v for k, v in mapping.items()}
    targets: list[Target | None] = []
    ignored: list[str] = []
    seen_header: dict[str, int] = {}
    seen_target: dict[str, str] = {}
    for index, name in enumerate(names):
        if not name:
            targets.append(None)  # an unnamed column (often an empty one) is not read
            continue
        lowered = name.lower()
        if lowered in seen_header:
            raise FileRejected(f"the header names {name!r} twice (columns {seen_header[lowered] + 1} and {index + 1})")
        seen_header[lowered] = index
        mapped = by_header.get(lowered)
        target = fields.target(mapped) if mapped else (None if mapped == "" else fields.target(name))
        if target is None and mapped is None:
            ignored.append(name)
        if target is not None:
            if target.column in seen_target:
                raise FileRejected(f"columns {seen_target[target.column]!r} and {name!r} both give {target.column}")
            seen_target[target.column] = name
        targets.append(target)
    if fields.KEY.name not in seen_target:
        shown = ", ".join(repr(n) for n in names if n)[:300] or "none"
        raise FileRejected(
            f"the file has no {fields.KEY.name} column (its columns: {shown}); "
            f"name one {fields.KEY.name}, or map one to it in a profile"
        )
    return Layout(names, tuple(targets), tuple(ignored))


# -- the table --------------------------------------------------------------------------------


def list_profiles(session: Session) -> list[ImportProfile]:
    return list(session.execute(select(ImportProfile).order_by(ImportProfile.name)).scalars())


def get_profile(session: Session, name: str) -> ImportProfile:
    profile = session.execute(select(ImportProfile).where(ImportProfile.name == name.strip())).scalar()
    if profile is None:
        raise ProfileNotFound(f"no import profile named {name!r}")
    return profile


def save_profile(session: Session, name: str, mapping: dict[str, str], options: ProfileOptions) -> ImportProfile:
    """Create the profile, or replace the mapping and options of the one with this name."""
    name = check_name(name)
    values: dict[str, Any] = {
        "mapping": check_mapping(mapping),
        "options": check_options(options).model_dump(),
        "updated_at": utcnow(),
    }
    profile = session.execute(select(ImportProfile).where(ImportProfile.name == name)).scalar()
    if profile is None:
        profile = ImportProfile(name=name, created_at=values["updated_at"], **values)
        session.add(profile)
    else:
        for key, value in values.items():
            setattr(profile, key, value)
    try:
        session.flush()
    except IntegrityError as exc:  # saved by someone else at the same moment
        raise InvalidInput(f"profile {name!r} was saved at the same moment by another request; try again") from exc
    return profile


def delete_profile(session: Session, name: str) -> None:
    get_profile(session, name)
    session.execute(delete(ImportProfile).where(ImportProfile.name == name.strip()))
