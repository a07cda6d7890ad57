"""How catalogue records are recognised in any shop: by name, in one key language.

Shops number their categories, attribute groups, values, features and manufacturers
differently, and PrestaShop checks no duplicates (wire README, fact 19), so matching is
ours to do. A record's **key** is its name in the key language, trimmed and case-folded:
English when the record has it, else the alphabetically first language it has a name in.
A category's **path** is the keys from the top of the tree down, joined by `PATH_SEP`; the
top is the shop's home category (level 1; PrestaShop's hidden Root, level 0, is left out),
whatever it is called in that shop.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

KEY_LANGUAGE = "en"
PATH_SEP = " > "
HOME = "home"  # the key every shop's level-1 category answers to


def key_of(names: Mapping[str, str]) -> str:
    """The record's key: its name in the key language, trimmed and case-folded; "" when nameless."""
    present = {iso: text.strip() for iso, text in names.items() if text and text.strip()}
    if not present:
        return ""
    iso = KEY_LANGUAGE if KEY_LANGUAGE in present else min(present)
    return " ".join(present[iso].split()).casefold()


def path_of(keys: Sequence[str]) -> str:
    """The path of a category given the keys from its home category down to itself."""
    return PATH_SEP.join([HOME, *keys[1:]]) if keys else ""


def slug_of(text: str) -> str:
    """A URL slug made the way PrestaShop makes `link_rewrite` (classes/Tools.php, `str2url`
    with accented characters not allowed): lower case, accents folded to ASCII, characters other
    than letters, digits, space, `'`, `:`, `/`, `[`, `]` and `-` dropped, and every run of spaces
    and those separators turned into one `-`."""
    folded = _fold(text.strip().lower())
    kept = "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in " '\\:/[]-\t\n\r"))
    words = [w for w in _split(kept) if w]
    return "-".join(words)


_SPECIAL = {"ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ð": "d", "ø": "o", "đ": "d", "þ": "th", "ı": "i"}
_SEPARATORS = set(" '\\:/[]-\t\n\r")


def _fold(text: str) -> str:
    # PrestaShop's replaceAccentedChars maps each accented letter to its base letter; Unicode's
    # decomposition gives the same for every letter it covers, the table the few it does not.
    text = "".join(_SPECIAL.get(ch, ch) for ch in text)
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _split(text: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch in _SEPARATORS:
            words.append("".join(current))
            current = []
        else:
            current.append(ch)
    words.append("".join(current))
    return words
