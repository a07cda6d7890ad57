"""Replay every captured exchange of a real PrestaShop 8.1.2 shop against the emulator.

The emulator starts in the captured shop's state (the demo catalogue, see `demo_state.py`) and
gets every captured request; each answer is compared with the real one by `structure.py`.

Sessions. The captures were recorded in several sessions, the shop reset to the fresh demo
between some of them (the `date:` headers and the ids the POSTs got show it): 20-45 first
(18:54-18:55), then 50-76 (19:01-19:04, one continuous session: product 20 created in 54 is
still there in 76), 77 on a fresh demo ("fresh demo DB" in its note), and 01-19 last (19:54;
13 creates product 20 again). So the emulator is reset to the demo state before 01, 20, 50 and
77, and within a session requests go in recording order (`date:`, then file name): 68e and 68e2
were recorded after 70 although their names sort before it. A capture folder added through
`PRESTASYNC_WIRE_DIRS` is a session of its own, starting from the demo state.

Before the first 76 capture a second shop is added, as the recording did outside the
webservice (76's note). Binary upload bodies that were not kept are replaced by a JPEG head
padded to the recorded size, so the shop's state goes on as recorded.
"""

from __future__ import annotations

import base64
import email.utils
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from prestasync.prestashop.emulator import EmulatedShop, create_app
from prestasync.prestashop.emulator.resources import RESOURCES
from tests.prestashop.captures import DEFAULT_DIR, Exchange, all_exchanges, folders
from tests.prestashop.emulator.demo_state import KEY, demo_shop
from tests.prestashop.emulator.structure import differences

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

RESETS = ("01", "20", "50", "77")
_PLACEHOLDER = re.compile(rb"<<(\d+) bytes of ([^ ]+) [^\n]*?>>")
_SKIP_HEADERS = {"host", "authorization", "content-length", "cookie", "accept-encoding", "connection", ""}


def sessions() -> list[list[Exchange]]:
    """Captures grouped by shop session, each in recording order."""
    groups: dict[tuple[bool, str, int], list[Exchange]] = {}
    for ex in all_exchanges():
        number = re.match(r"\d+", ex.name)
        prefix = number.group(0) if number else "00"
        start = max((r for r in RESETS if r <= prefix), default="01")
        extra = ex.path.parent != DEFAULT_DIR
        key = (extra, str(ex.path.parent), 0 if extra else RESETS.index(start))
        groups.setdefault(key, []).append(ex)
    return [sorted(group, key=_recorded) for _, group in sorted(groups.items())]


def _recorded(ex: Exchange) -> tuple[float, str]:
    date = next((v for k, v in ex.response_headers if k.lower() == "date"), "")
    parsed = email.utils.parsedate_to_datetime(date) if date else None
    return (parsed.timestamp() if parsed else 0.0), ex.name


def not_exchanges() -> list[Path]:
    """Files of the capture folders that are not exchanges (logs, notes)."""
    return sorted(p for folder in folders() for p in folder.glob("*.txt"))


def _request(ex: Exchange) -> tuple[dict[str, str], bytes]:
    headers = {k: v for k, v in ex.request_headers if k.lower() not in _SKIP_HEADERS}
    auth = ex.request_header("authorization")
    if auth is not None:
        wrong = re.search(r"base64\((\w{32}):\)", auth)
        key = wrong.group(1) if wrong else KEY
        headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    return headers, _synthesized(ex.request_body)


def _synthesized(body: bytes) -> bytes:
    """A kept-out upload replaced by a JPEG head padded to the recorded size."""
    jpeg = (DEFAULT_DIR / "images" / "red.jpg").read_bytes()

    def fill(m: re.Match[bytes]) -> bytes:
        size = int(m.group(1))
        return (jpeg + b"\0" * size)[:size]

    return _PLACEHOLDER.sub(fill, body)


def _add_second_shop(shop: EmulatedShop) -> None:
    row = {"id": "2", "id_shop_group": "1", "id_category": "2", "active": "1", "deleted": "0"}
    shop.store(RESOURCES["shops"], row | {"name": "Second shop", "theme_name": "classic", "_uri": "second/"})


def replay() -> Iterator[tuple[Exchange, list[str]]]:
    """Every exchange with the differences of the emulator's answer (empty: identical)."""
    for group in sessions():
        shop = demo_shop()
        client = TestClient(create_app({"": shop}), base_url="http://127.0.0.1:8080", follow_redirects=False)
        for ex in group:
            if ex.name.startswith("76") and 2 not in shop.tables["shops"].rows:
                _add_second_shop(shop)
            headers, body = _request(ex)
            r = client.request(ex.method, ex.target, headers=headers, content=body)
            mine = (r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)
            real = (ex.status, {k.lower(): v for k, v in ex.response_headers}, ex.response_body)
            yield ex, differences(real, mine, created=ex.method == "POST")


# Captures the emulator does not reproduce, with the reason. Multistore is modelled only as far as
# shops, shop groups, `?id_shop` and shop 2's own URLs: every shop sees the same records.
_PER_SHOP_STOCK = "shop 2's own stock rows (copied by the back office) are not modelled"
KNOWN_DIFFERENT = {
    "76b_product_shop2": _PER_SHOP_STOCK,
    "76c_patch_product_shop2": _PER_SHOP_STOCK,
    "76h_patch_product_group_shop": "a PATCH with ?id_group_shop copying shop 1 over shop 2 is not modelled",
    "76j_stock_availables_no_shop": _PER_SHOP_STOCK,
    "76k_stock_availables_shop2": _PER_SHOP_STOCK,
    "76l_stock_availables_filter_id_shop": _PER_SHOP_STOCK,
    "76m_patch_stock_shop2_combination": _PER_SHOP_STOCK,
    "76n_post_product_shop2": _PER_SHOP_STOCK,
    "76o_get_new_product_shop1": "a product POSTed in shop 2 exists in every shop of the emulator",
    "76p_get_products_list_shop1": "a product POSTed in shop 2 exists in every shop of the emulator",
}


def test_every_capture_replays_structurally_identical(capsys: pytest.CaptureFixture[str]) -> None:
    results = list(replay())
    different = {ex.name: diffs for ex, diffs in results if diffs}
    lines = [f"{len(results) - len(different)} of {len(results)} captures structurally identical"]
    lines += [f"  not replayable: {p.name} (a server log, not a request and its answer)" for p in not_exchanges()]
    lines += [f"  different: {name}: {KNOWN_DIFFERENT.get(name, diffs[:3])}" for name, diffs in different.items()]
    with capsys.disabled():
        sys.stdout.write("\n" + "\n".join(lines) + "\n")
    assert sorted(set(different) - set(KNOWN_DIFFERENT)) == []
    # A known difference that disappeared is good news: take it off the list.
    assert sorted(set(KNOWN_DIFFERENT) - set(different)) == []


def test_captures_are_discovered_in_every_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = DEFAULT_DIR / "08_product_missing_404.http"
    (tmp_path / "99_extra_missing_product.http").write_bytes(source.read_bytes())
    monkeypatch.setenv("PRESTASYNC_WIRE_DIRS", str(tmp_path))
    groups = sessions()
    assert [ex.name for ex in groups[-1]] == ["99_extra_missing_product"]
    extra = [diffs for ex, diffs in replay() if ex.name == "99_extra_missing_product"]
    assert extra == [[]]


def test_raw_crlf_stays_inside_cdata() -> None:
    """Product 1's short description holds a raw CRLF (fact 13); the emulator sends it as stored."""
    client = TestClient(create_app({"": demo_shop()}), base_url="http://127.0.0.1:8080")
    r = client.get("/api/products/1", params={"display": "[description_short]"}, auth=(KEY, ""))
    real = (DEFAULT_DIR / "03_product_1.http").read_bytes()
    assert b"</p>\r\n<p></p>" in real and b"</p>\r\n<p></p>" in r.content
