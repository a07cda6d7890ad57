"""Texts for every shop language: what the catalogue has, and a fallback for what it lacks.

A product exported to a shop with a language the catalogue has no text for must not get an
empty name there: an empty name gives an empty title page, and a multilanguage field sent in
some languages blanks the others (wire README, facts 6 and 17). So every shop language gets
text: the catalogue's own where it has it, else the fallback language's (`ShopView.fallback_language`).
"""

from __future__ import annotations

from collections.abc import Mapping

from prestasync.export.shopview import ShopView


def present(texts: Mapping[str, str]) -> dict[str, str]:
    """The languages that really have text (an empty string is no text)."""
    return {iso: text for iso, text in texts.items() if text}


def for_languages(texts: Mapping[str, str], view: ShopView) -> dict[int, str]:
    """Text for each shop language id: the catalogue's, else the fallback language's, else ""."""
    have = present(texts)
    spare = ""
    if any(lang.iso_code not in have for lang in view.languages):  # the fallback only when needed
        fallback = view.fallback_language(set(have))
        spare = have.get(fallback, "") if fallback else ""
    return {lang.id: have.get(lang.iso_code, spare) for lang in view.languages}


def missing(texts: Mapping[str, str], view: ShopView) -> list[str]:
    """The shop languages the catalogue has no text for (filled from the fallback)."""
    have = present(texts)
    return [lang.iso_code for lang in view.languages if lang.iso_code not in have]
