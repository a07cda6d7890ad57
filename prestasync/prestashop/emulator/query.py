"""GET query parameters: PHP-style parsing, `display`, `language`, `filter`, `sort`, `limit`.

The rules are those of `classes/webservice/WebserviceRequest.php` in PrestaShop 8.1.

Validation and error codes follow `WebserviceRequest::manageFilters`, in its order. What the
parsed filters match is `_emuselect`'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from prestasync.prestashop.emulator.schema import Field, Resource, WsError

Display = str | dict[str, list[str] | None]  # "minimum", "full" or {field: None | association fields}


def php_params(query: str) -> dict[str, Any]:
    """Parse a query string into nested dicts the way PHP fills `$_GET` (last value wins)."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        base, _, rest = key.partition("[")
        subs = re.findall(r"([^\]]*)\]", rest) if rest else []
        node = out
        for part in [base, *subs][:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[[base, *subs][-1]] = value
    return out


def php_truthy(value: Any) -> bool:
    return value not in (None, "", "0", {})


def php_int(text: str) -> int:
    """PHP `(int)` of a string: its leading integer part, 0 when there is none."""
    m = re.match(r"^\s*[+-]?\d+", text)
    return int(m.group(0)) if m else 0


def levenshtein_closest(word: str, candidates: list[str]) -> str:
    """The candidate with the smallest edit distance (the first on ties), like `WebserviceRequest::getClosest`."""

    def distance(a: str, b: str) -> int:
        prev = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            cur = [i]
            for j, cb in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
            prev = cur
        return prev[-1]

    return min(candidates, key=lambda c: distance(word, c)) if candidates else ""


# --- parsing the query --------------------------------------------------------------------------


@dataclass
class ListQuery:
    """A parsed GET: what to show, which rows, in which order, which page."""

    display: Display = "minimum"
    languages: list[int] = field(default_factory=list)
    filters: list[tuple[Field, str]] = field(default_factory=list)  # (field, raw filter value)
    sort: list[tuple[Field, bool]] = field(default_factory=list)  # (field, descending)
    offset: int = 0
    count: int | None = None


def _names(res: Resource) -> str:
    return ", ".join(f.name for f in res.fields)


def parse_display(res: Resource, raw: Any) -> Display:
    """`display=full|minimum` or `display=[a,b,assoc[x,y]]` (`WebserviceRequest::setFieldsToDisplay`, errors 35/36)."""
    if raw is None:
        return "minimum"
    if raw in ("full", "minimum"):
        return str(raw)
    m = re.match(r"^\[(.*)\]$", raw) if isinstance(raw, str) else None
    if not m:
        msg = "The 'display' syntax is wrong. You can set 'full' or '[field_1,field_2,field_3,...]'. "
        raise WsError((400, 36, msg + f"These are available: {_names(res)}"))
    fields: dict[str, list[str] | None] = {}
    for part in _split_top(m.group(1)):
        name, bracket, rest = part.partition("[")
        name = name.strip()
        fields.setdefault(name, None)
        if bracket:
            # PHP takes everything between the first `[` and the last character, untrimmed.
            fields[name] = (fields[name] or []) + rest[:-1].split(",")
    for name, sub in fields.items():
        assoc = res.assoc(name)
        bad = (
            res.field(name) is None
            if sub is None
            else assoc is None or any(x != "id" and x not in assoc.field_names for x in sub)
        )
        if bad:
            detail = "" if sub is None else _var_export(sub)
            msg = f'Unable to display this field "{name}{detail}". However, these are available: {_names(res)}'
            raise WsError((400, 35, msg))
    return fields


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += (ch == "[") - (ch == "]")
        cur += ch
    return [*parts, cur] if cur != "" else parts


def _var_export(items: list[str]) -> str:
    body = "".join(f"  {i} => '{v}',\n" for i, v in enumerate(items))
    return f" (details : array (\n{body}))"


def parse_languages(raw: Any, shop_langs: list[int]) -> list[int]:
    """`language=1`, `[1|2]`, `[1,3]` (`WebserviceRequest::filterLanguage`, errors 78-81); default all languages."""
    if raw is None:
        return list(shop_langs)
    text = raw if isinstance(raw, str) else ""
    picked: list[str] = []
    if re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)\s*", text):
        picked = [str(php_int(text))]
    elif text.startswith("[") and text.endswith("]") and len(text) > 1:
        inner = text[1:-1]
        if ("|" in inner) != ("," in inner):
            if "|" in inner:
                picked = inner.split("|")
            else:
                bounds = inner.split(",")
                if len(bounds) != 2:
                    raise WsError((400, 78, "A range value for a language must contains only 2 values"))
                picked = [str(i) for i in range(php_int(bounds[0]), php_int(bounds[1]) + 1)]
        elif m := re.search(r"\[(\d)+\]", text):
            picked = [m.group(1)]
    else:
        raise WsError((400, 79, "language value is wrong"))
    # PHP `array_search(false, …)` is falsy when the first entry is the bad one: only later ones count.
    if any(not p.strip().isdigit() for p in picked[1:]):
        raise WsError((400, 80, "Language ID must be numeric"))
    chosen = [int(p) for p in picked if p.strip().isdigit() and int(p) in shop_langs]
    if not chosen:
        raise WsError((400, 81, "Language is not available"))
    return sorted(set(chosen))


def _filterable(res: Resource, dates: bool) -> tuple[list[str], list[str]]:
    """(plain, i18n) field names usable in filter/sort; dates only with `date=1`."""
    names = [f.name for f in res.fields if dates or f.name not in ("date_add", "date_upd")]
    return [n for n in names if not res.by_name[n].i18n], [n for n in names if res.by_name[n].i18n]


def parse_filters(res: Resource, raw: Any, dates: bool) -> list[tuple[Field, str]]:
    """`filter[field]=value` (`WebserviceRequest::manageFilters`: errors 31, 32, 33, 34)."""
    out = []
    available, i18n = _filterable(res, dates)
    for name, value in raw.items() if isinstance(raw, dict) else ():
        if name in ("sort", "limit"):
            continue
        if name not in available:
            if value != "" and name in i18n:
                # `filter[name]=x` or `filter[name][]=x&…`: each value is one more condition.
                values = list(value.values()) if isinstance(value, dict) else [value]
                out += [(res.by_name[name], str(v)) for v in values]
                continue
            if isinstance(value, dict):
                raise WsError((400, 31, "There is no existing linked table for this resource"))
            closest = levenshtein_closest(name, available)
            full = '", "'.join(available)
            msg = f'This filter does not exist. Did you mean: "{closest}"? The full list is: "{full}"'
            raise WsError((400, 32, msg))
        f = res.by_name[name]
        if value == "":
            raise WsError((400, 33, f'The filter "{name}" is malformed.'))
        if f.getter:
            msg = f'The field "{name}" is dynamic. It is not possible to filter GET query with this field.'
            raise WsError((400, 34, msg))
        out.append((f, value))
    return out


def parse_sort(res: Resource, raw: Any, dates: bool) -> list[tuple[Field, bool]]:
    """`sort=[a_ASC,b_DESC]` or `sort=a_ASC`, split at the last `_` (errors 37, 38)."""
    if raw is None:
        return []
    available, i18n = _filterable(res, dates)
    bracketed = re.match(r"^\[(.*)\]$", str(raw))
    out = []
    for item in bracketed.group(1).split(",") if bracketed else [str(raw)]:
        name, sep, direction = item.rpartition("_")
        if not sep or direction.upper() not in ("ASC", "DESC"):
            msg = 'The "sort" value has to be formed as this example: "field_ASC" or '
            msg += "'[field_1_DESC,field_2_ASC,field_3_ASC,...]' (\"field\" has to be an available field)"
            raise WsError((400, 37, msg))
        if name not in available and name not in i18n:
            plain, lang = ", ".join(available), ", ".join(i18n)
            msg = f"Unable to filter by this field. However, these are available: {plain}, for i18n fields:{lang}"
            raise WsError((400, 38, msg))
        out.append((res.by_name[name], direction.upper() == "DESC"))
    return out


def parse_limit(raw: Any) -> tuple[int, int | None]:
    """`limit=N` or `limit=offset,count`; each part cast like PHP `(int)` (error 39)."""
    if raw is None:
        return 0, None
    parts = str(raw).split(",")
    if len(parts) > 2:
        raise WsError((400, 39, 'The "limit" value has to be formed as this example: "5,25" or "10"'))
    numbers = [max(php_int(p), 0) for p in parts]
    return (0, numbers[0]) if len(numbers) == 1 else (numbers[0], numbers[1])


def parse_list_query(res: Resource, params: dict[str, Any], shop_langs: list[int]) -> ListQuery:
    """Every parameter of a listing, errors in the engine's order (`WebserviceRequest::manageFilters`)."""
    q = ListQuery(languages=parse_languages(params.get("language"), shop_langs))
    dates = php_truthy(params.get("date"))
    q.filters = parse_filters(res, params.get("filter"), dates)
    # `sort` is checked before `display` (68e2_categories_sort_nleft_500.http: both bad, code 38).
    q.sort = parse_sort(res, params.get("sort"), dates)
    q.display = parse_display(res, params.get("display"))
    q.offset, q.count = parse_limit(params.get("limit"))
    return q
