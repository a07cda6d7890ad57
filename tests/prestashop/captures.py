"""Real PrestaShop webservice exchanges recorded from a live shop, read for the replay tests.

The captures live in `tests/wire/<shop version>/` (a copy of what was recorded against a real
PrestaShop 8.1.2; see the README there). More folders can be added with
`PRESTASYNC_WIRE_DIRS` (paths separated by `os.pathsep`), so a capture dropped into any of them
is picked up by every replay test without a code change.

Each `.http` file holds `### REQUEST` (request line, headers, body) then `### RESPONSE` (status
line, headers, body), bodies byte exact. Binary parts are written as placeholder lines,
`<<N bytes … file is images/x.jpg>>` in requests and `<<N bytes binary body … saved as
samples/NAME.body.bin>>` in answers; `load()` puts the real bytes back when the file is there
and marks the exchange incomplete otherwise (a few large upload samples were not kept).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DIR = HERE.parent / "wire" / "prestashop-8.1.2"
_PLACEHOLDER = re.compile(rb"<<(\d+) bytes [^\n]*?(?:file is|saved as) ([^\s>]+)>>")


@dataclass(frozen=True)
class Exchange:
    """One recorded request and the shop's answer."""

    path: Path
    note: str
    method: str
    target: str  # path and query as sent, e.g. `/api/products?display=full`
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    complete: bool  # False when a binary part's bytes were not kept

    @property
    def name(self) -> str:
        return self.path.stem

    def header(self, name: str) -> str | None:
        """A response header by case-insensitive name (the first one), or None."""
        wanted = name.lower()
        return next((v for k, v in self.response_headers if k.lower() == wanted), None)

    def request_header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.request_headers if k.lower() == wanted), None)

    @property
    def body_verified(self) -> bool | None:
        """Whether the answer's body matches its `Content-Sha1` (None when there is none).

        The shop's image errors carry a `Content-Sha1` that is not their body's, so False is a
        fact of the shop there, not a broken capture.
        """
        sha = self.header("content-sha1")
        return None if sha is None else hashlib.sha1(self.response_body).hexdigest() == sha


def folders() -> list[Path]:
    """The capture folders: the repository's copy first, then `PRESTASYNC_WIRE_DIRS`."""
    extra = [Path(p) for p in os.environ.get("PRESTASYNC_WIRE_DIRS", "").split(os.pathsep) if p.strip()]
    return [DEFAULT_DIR, *extra]


def all_exchanges() -> list[Exchange]:
    """Every capture in every folder, in file-name order; a name seen twice is read once."""
    seen: dict[str, Path] = {}
    for folder in folders():
        for path in sorted(folder.glob("*.http")):
            seen.setdefault(path.name, path)
    return [load(seen[name]) for name in sorted(seen)]


def load(path: Path) -> Exchange:
    raw = path.read_bytes()
    head, _, rest = raw.partition(b"### REQUEST\n")
    request, _, response = rest.partition(b"\n### RESPONSE\n")
    req_head, _, req_body = request.partition(b"\n\n")
    res_head, _, res_body = response.partition(b"\n\n")
    request_line, request_headers = _head(req_head)
    status_line, response_headers = _head(res_head)
    method, target, _ = request_line.split(" ", 2)
    req_body, req_ok = _fill(req_body, path.parent)
    res_body, res_ok = _fill(res_body, path.parent, whole=True)
    note = " ".join(line.lstrip("# ") for line in head.decode().splitlines() if line.startswith("#"))
    return Exchange(
        path=path,
        note=note,
        method=method,
        target=target,
        request_headers=request_headers,
        request_body=req_body,
        status=int(status_line.split(" ", 2)[1]),
        response_headers=response_headers,
        response_body=res_body,
        complete=req_ok and res_ok,
    )


def _head(block: bytes) -> tuple[str, tuple[tuple[str, str], ...]]:
    lines = block.decode("utf-8").split("\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], tuple(headers)


def _fill(body: bytes, folder: Path, *, whole: bool = False) -> tuple[bytes, bool]:
    """Replace binary placeholders by the bytes they stand for, when those were kept."""
    complete = True

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal complete
        size, name = int(match.group(1)), match.group(2).decode()
        candidates = [folder / name, folder / Path(name).name]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None or found.stat().st_size != size:
            complete = False
            return match.group(0)
        return found.read_bytes()

    if whole and _PLACEHOLDER.fullmatch(body.strip()):
        return replace(_PLACEHOLDER.fullmatch(body.strip())), complete  # type: ignore[arg-type]
    return _PLACEHOLDER.sub(replace, body), complete
