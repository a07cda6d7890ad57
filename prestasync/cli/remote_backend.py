"""The remote backend: the job and catalogue commands served by a prestasync server's JSON API.

Every call goes to the server at `PRESTASYNC_SERVER_URL` with `PRESTASYNC_API_TOKEN` as a
bearer token; nothing local (data dir, database, queue, secret key) is touched. Answers are
read back into the API's typed shapes with `model_validate`.

Errors a remote call can meet become one `RemoteError` with a one-line message for a
person. The token never appears in one: messages are built without it, and anything the
server or the network library says is scrubbed of it before it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from prestasync.cli.backend import Listing, paged
from prestasync.contract import ChangeSummary, ItemOut, JobOut, JobsStarted, ProductOut, ShopOut
from prestasync.errors import RemoteError, ShopNotFound
from prestasync.progress import JobType

M = TypeVar("M", bound=BaseModel)
# The API's own caps on `limit` (see prestasync/web/api.py): larger requests are paged.
API_PAGE = 500
API_ERRORS_PAGE = 1000
TIMEOUT_S = 30.0
# Pydantic validation locations start with where the value was (body, query, path): noise here.
_LOC_NOISE = frozenset({"body", "query", "path"})


class RemoteBackend:
    """A prestasync server's JSON API, authenticated by an API token.

    `transport` lets tests answer requests in-process (`httpx.MockTransport`).
    """

    poll_s = 0.5

    def __init__(self, url: str, token: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.url = _checked_url(url)
        self._token = _checked_token(token)
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=TIMEOUT_S,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def start(self, type: JobType, shop_names: Sequence[str], params: dict[str, Any]) -> list[JobOut]:
        body = {"type": type.value, "shop_ids": self._shop_ids(shop_names), "params": params}
        return list(self._model(JobsStarted, self._call("POST", "/api/jobs", json=body)).jobs)

    def get_job(self, job_id: int) -> JobOut:
        return self._model(JobOut, self._call("GET", f"/api/jobs/{job_id}"))

    def list_jobs(self, status: str | None, shop_name: str | None, limit: int | None) -> Listing[JobOut]:
        query: dict[str, Any] = {"status": status} if status else {}
        if shop_name:
            query["shop_id"] = self._shop_ids([shop_name])[0]
        return self._listing(JobOut, "/api/jobs", query, limit=limit, size=API_PAGE)

    def failed_items(self, job_id: int) -> Iterator[ItemOut]:
        # No limit: `jobs errors` promises the whole ledger, however long.
        return self._listing(ItemOut, f"/api/jobs/{job_id}/errors", {}, limit=None, size=API_ERRORS_PAGE).items

    def cancel(self, job_id: int) -> JobOut:
        return self._model(JobOut, self._call("POST", f"/api/jobs/{job_id}/cancel"))

    def retry(self, job_id: int, failed_only: bool) -> JobOut:
        params = {"failed_only": "true" if failed_only else "false"}
        return self._model(JobOut, self._call("POST", f"/api/jobs/{job_id}/retry", params=params))

    def confirm(self, job_id: int) -> JobOut:
        return self._model(JobOut, self._call("POST", f"/api/jobs/{job_id}/confirm"))

    def apply(self, job_id: int, confirmed: bool) -> JobOut:
        params = {"confirmed": "true" if confirmed else "false"}
        return self._model(JobOut, self._call("POST", f"/api/jobs/{job_id}/apply", params=params))

    def changes(self, job_id: int, outcome: str | None, field: str | None) -> Listing[ItemOut]:
        query = {k: v for k, v in (("outcome", outcome), ("field", field)) if v}
        return self._listing(ItemOut, f"/api/jobs/{job_id}/changes", query, limit=None, size=API_ERRORS_PAGE)

    def change_summary(self, job_id: int) -> ChangeSummary:
        return self._model(ChangeSummary, self._call("GET", f"/api/jobs/{job_id}/changes/summary"))

    def list_shops(self) -> list[ShopOut]:
        found = self._call("GET", "/api/shops")
        if not isinstance(found, list):
            raise RemoteError(f"the answer from {self.url} to /api/shops is not a list of shops")
        return [self._model(ShopOut, shop) for shop in found]

    def add_shop(self, name: str, url: str, key: str) -> ShopOut:
        return self._model(ShopOut, self._call("POST", "/api/shops", json={"name": name, "url": url, "key": key}))

    def products(self, text: str, limit: int | None) -> Listing[ProductOut]:
        return self._listing(ProductOut, "/api/products", {"search": text}, limit=limit, size=API_PAGE)

    def _shop_ids(self, names: Sequence[str]) -> list[int]:
        """Shop names to ids, with the local mode's message for a name the server does not know."""
        known = {shop.name: shop.id for shop in self.list_shops()}
        for name in names:
            if name not in known:
                raise ShopNotFound(f"no shop named {name!r} (known: {', '.join(known) or 'none registered'})")
        return [known[name] for name in names]

    def _listing(self, model: type[M], path: str, query: dict[str, Any], *, limit: int | None, size: int) -> Listing[M]:
        """A paginated list: the first page is read now (for `total`), the rest while iterating."""
        first = self._page(path, {**query, "offset": 0, "limit": size if limit is None else min(size, limit)})
        total = int(first.get("total", 0))

        def fetch(offset: int, want: int) -> list[M]:
            page = first if offset == 0 else self._page(path, {**query, "offset": offset, "limit": want})
            return [self._model(model, row) for row in page["items"]]

        return Listing(total, paged(fetch, limit, size))

    def _page(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        page = self._call("GET", path, params=params)
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise RemoteError(f"the answer from {self.url} to {path} is not a page of items")
        return page

    def _model(self, model: type[M], data: Any) -> M:
        try:
            return model.model_validate(data)
        except ValidationError:
            raise RemoteError(
                f"the answer from {self.url} does not have the shape of a {model.__name__}; "
                "is the server a prestasync of this version?"
            ) from None

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; its JSON answer, or RemoteError with a one-line reason."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            # `from None`: a chained network error is never shown, whatever it may quote.
            raise RemoteError(self._scrub(f"cannot reach the server at {self.url}: {_reason(exc)}")) from None
        except httpx.RequestError as exc:
            raise RemoteError(self._scrub(f"request to the server at {self.url} failed: {_reason(exc)}")) from None
        if not response.is_success:
            raise RemoteError(self._scrub(_status_message(response)))
        if response.status_code == 204:  # done, nothing to say (a DELETE)
            return None
        try:
            return response.json()
        except ValueError:
            raise RemoteError(
                f"the answer from {self.url} is not JSON; is PRESTASYNC_SERVER_URL a prestasync server?"
            ) from None

    def download(self, path: str, params: dict[str, Any], dest: Path, *, timeout_s: float = TIMEOUT_S) -> None:
        """Stream a file answer (CSV, XLSX) into `dest`, through `<dest>.part`: a download cut
        off halfway leaves no half file behind."""
        part = dest.with_name(dest.name + ".part")
        try:
            with self._http.stream("GET", path, params=params, timeout=timeout_s) as response:
                if not response.is_success:
                    response.read()
                    raise RemoteError(self._scrub(_status_message(response)))
                with part.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except httpx.TransportError as exc:
            part.unlink(missing_ok=True)
            raise RemoteError(self._scrub(f"cannot reach the server at {self.url}: {_reason(exc)}")) from None
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        part.replace(dest)

    def _scrub(self, message: str) -> str:
        return message.replace(self._token, "[token]")


def _checked_url(url: str) -> str:
    url = url.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:  # "http://[::1" (an unclosed IPv6 host); the URL is not repeated: it may hold a password
        raise RemoteError("PRESTASYNC_SERVER_URL is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteError("PRESTASYNC_SERVER_URL must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise RemoteError("PRESTASYNC_SERVER_URL must hold no credentials; the token goes in PRESTASYNC_API_TOKEN")
    return url


def _checked_token(token: str) -> str:
    token = token.strip()
    if not token:
        raise RemoteError(
            "PRESTASYNC_SERVER_URL is set but PRESTASYNC_API_TOKEN is not; "
            "create a token on the server with `prestasync tokens create --name NAME`"
        )
    # A header value with spaces or control characters fails inside the HTTP library with a
    # message that quotes it; refuse it here, where the message can leave it out.
    if not re.fullmatch(r"[!-~]+", token):
        raise RemoteError("PRESTASYNC_API_TOKEN holds spaces or characters a token never has; copy it again")
    return token


def _reason(exc: Exception) -> str:
    return str(exc).strip() or type(exc).__name__


def _status_message(response: httpx.Response) -> str:
    """One line for a failed answer; the server's `detail` when it said something useful."""
    code = response.status_code
    if code == 401:
        return "the server refused the API token (PRESTASYNC_API_TOKEN)"
    if code >= 500:
        return f"server error {code}"
    if response.is_redirect:
        return f"the server redirects to {response.headers.get('location', '?')}; set PRESTASYNC_SERVER_URL to it"
    detail = _detail(response)
    if code == 404 and detail in ("", "Not Found"):  # no such route: the URL points elsewhere
        return f"the server has no {response.request.url.path}; is PRESTASYNC_SERVER_URL a prestasync server?"
    if code in (404, 409, 422) and detail:
        return detail
    return f"the server answered {code}" + (f": {detail}" if detail else "")


def _detail(response: httpx.Response) -> str:
    """FastAPI's `detail`: a message, or a validation list joined short and readable."""
    try:
        body = response.json()
    except ValueError:
        return ""  # an HTML error page says nothing a terminal line can use
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list) and detail:
        shown = "; ".join(_problem(p) for p in detail[:3])
        return shown + (f"; and {len(detail) - 3} more" if len(detail) > 3 else "")
    return ""


def _problem(problem: object) -> str:
    # Only where and what: a validation entry's `input` may echo a shop key back.
    if not isinstance(problem, dict):
        return str(problem)
    where = ".".join(str(part) for part in problem.get("loc", []) if part not in _LOC_NOISE)
    what = str(problem.get("msg", "invalid value"))
    return f"{where}: {what}" if where else what
