"""Field validation as `ObjectModel::validateField` does it, with the `Validate::is*` rules it calls,
and the slug rewriting (`Tools::link_rewrite`) that turns a value into one `isLinkRewrite` accepts.

The rules follow `classes/Validate.php` of PrestaShop 8.1; the error texts and codes (84 for a
multilanguage field, 85 for the others) are those of `tests/wire/prestashop-8.1.2/32_post_product_name_lt.http`,
`34_post_product_price_abc.http` and `37_post_product_reference_too_long.http`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from prestasync.prestashop.emulator.schema import Field


def _match(pattern: str) -> Callable[[str], bool]:
    rx = re.compile(pattern)
    return lambda v: rx.search(v) is not None


_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def _is_float(v: str, unsigned: bool) -> bool:
    return _NUMERIC.match(v) is not None and (not unsigned or float(v) >= 0)


def _is_int(v: str, unsigned: bool) -> bool:
    # PHP `(string)(int)$v === (string)$v`: no sign on 0, no leading zeros, no blanks.
    ok = re.fullmatch(r"0|-?[1-9]\d*", v) is not None and abs(int(v)) < 2**63
    return ok and (not unsigned or 0 <= int(v) < 2**32)


_CLEAN_HTML_BAD = re.compile(
    r"<\s*script|\bon[a-z]+\s*=|script:|<\s*(i?frame|form|input|embed|object)", re.IGNORECASE | re.DOTALL
)
_DATE = r"^(\d{4})-(0?[0-9]|1[0-2])-(0?[0-9]|[12][0-9]|3[01])"

VALIDATORS: dict[str, Callable[[str], bool]] = {
    "isBool": _match(r"^(0|1)$"),
    "isUnsignedId": lambda v: _is_int(v, True),
    "isUnsignedInt": lambda v: _is_int(v, True),
    "isInt": lambda v: _is_int(v, False),
    "isPrice": _match(r"^[0-9]{1,10}(\.[0-9]{1,9})?$"),
    "isUnsignedFloat": lambda v: _is_float(v, True),
    "isFloat": lambda v: _is_float(v, False),
    "isReference": _match(r"^[^<>;={}]*$"),
    "isCatalogName": _match(r"^[^<>;=#{}]*$"),
    "isGenericName": _match(r"^[^<>={}]*$"),
    "isLinkRewrite": _match(r"^[_a-zA-Z0-9\-]+$"),
    "isCleanHtml": lambda v: _CLEAN_HTML_BAD.search(v) is None,
    "isEan13": _match(r"^[0-9]{0,13}$"),
    "isUpc": _match(r"^[0-9]{0,12}$"),
    "isIsbn": _match(r"^[0-9-]{0,32}$"),
    "isMpn": lambda v: len(v) <= 40,
    "isString": lambda v: True,
    "isDateFormat": _match(_DATE + r"( [0-9]{2}:[0-9]{2}:[0-9]{2})?$"),
    "isDate": _match(_DATE + r"( [0-9]{2}:[0-9]{2}:[0-9]{2})?$"),
    "isProductVisibility": lambda v: v in ("both", "catalog", "search", "none"),
    "isNegativePrice": _match(r"^[-]?[0-9]{1,10}(\.[0-9]{1,9})?$"),
    "isColor": _match(r"^(#[0-9a-fA-F]{6}|[a-zA-Z]+)$"),
    "isReductionType": lambda v: v in ("amount", "percentage"),
    "isLanguageIsoCode": _match(r"^[a-zA-Z]{2,3}$"),
    "isCleanHtmlOrEmpty": lambda v: True,
}
VALIDATORS["IsGenericName"] = VALIDATORS["isGenericName"]  # the combination definition spells it so


def validation_error(cls: str, f: Field, value: str | None) -> tuple[str | None, str | None]:
    """Return (error, value after `default`) for one value, like `ObjectModel::validateField`."""
    prop = f"{cls}->{f.name}"
    if f.required and value in (None, ""):  # PHP `empty($value) && $value !== '0'`
        return f"Property {prop} is empty.", value
    if value in (None, "", "0") and f.default:  # PHP `!$value`
        value = f.default
    if f.values is not None and (value or "") not in f.values:
        return f"Property {prop} has a bad value (allowed values are: {', '.join(f.values)}).", value
    if f.size is not None and len(value or "") > f.size:
        length = len(value or "")
        return (
            f"The length of property {prop} is currently {length} chars. It must be between 0 and {f.size} chars.",
            value,
        )
    check = VALIDATORS.get(f.validate or "")
    # `if (!empty($value))`: the validator is skipped for '', null and '0'.
    if check is not None and value not in (None, "", "0") and not check(value):
        return f"Property {prop} is not valid", value
    return None, value


def link_rewrite(text: str) -> str:
    """ASCII, lower case, runs of separators turned into one dash, other characters dropped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    ascii_text = re.sub(r"[^a-z0-9\s'\:/\[\]\-]", "", ascii_text)
    return re.sub(r"[\s'\:/\[\]\-]+", "-", ascii_text.strip()).strip("-")
