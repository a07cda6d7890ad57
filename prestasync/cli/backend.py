"""Where the job and catalogue commands get their data: the local database or a remote server.

The commands speak to a `Backend` in the API's own typed shapes (`contract.JobOut`,
`ItemOut`, `ShopOut`, `ProductOut`): built from rows locally, read back with `model_validate`
remotely, so one command body serves both modes and `--json` prints exactly what the API
sends. `backend()` picks the mode: when `PRESTASYNC_SERVER_URL`
is set, every call goes to that server's JSON API with `PRESTASYNC_API_TOKEN` as a bearer
token and nothing local (data dir, database, queue, secret key) is touched; otherwise
the local database is used as before.

Errors a remote call can meet become one `RemoteError` with a one-line message for a
person. The token never appears in one: messages are built without it, and anything the
server or the network library says is scrubbed of it before it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from prestasync import catalogue, queries, shops
from prestasync.cli.common import control, runtime
from prestasync.config import Settings, read_settings
from prestasync.contract import (
    ChangeSummary,
    ItemOut,
    JobOut,
    JobsStarted,
    ProductOut,
    ShopOut,
    item_out,
    job_out,
    product_out,
    shop_out,
)
from prestasync.control import Control
from prestasync.errors import RemoteError, ShopNotFound
from prestasync.progress import JobType, Outcome
from prestasync.runtime import Runtime

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
LOCAL_PAGE = 500
# The API's own caps on `limit` (see prestasync/web/api.py): larger requests are paged.
API_PAGE = 500
API_ERRORS_PAGE = 1000
TIMEOUT_S = 30.0
# Pydantic validation locations start with where the value was (body, query, path): noise here.
_LOC_NOISE = frozenset({"body", "query", "path"})


@dataclass
class Listing(Generic[T]):
    """A list as the commands print it: `total` rows match, `items` yields up to the asked limit,
    fetched page by page while the caller iterates (constant memory, however long)."""

    total: int
    items: Iterator[T]


class Backend(Protocol):
    """What the job and catalogue commands need, in the web API's typed shapes."""

    # How often `--wait` and `jobs watch` poll a job: a remote server is asked less often.
    poll_s: float

    def start(self, type: JobType, shop_names: Sequence[str], params: dict[str, Any]) -> list[JobOut]:
        """One job per named shop (grouped when several); unknown names raise ShopNotFound."""
        ...

    def get_job(self, job_id: int) -> JobOut: ...

    def list_jobs(self, status: str | None, shop_name: str | None, limit: int | None) -> Listing[JobOut]:
        """Jobs newest first; `status` also takes `active` and `finished`; all when `limit` is None."""
        ...

    def failed_items(self, job_id: int) -> Iterator[ItemOut]:
        """Every failed item of the job, fetched page by page as the caller iterates."""
        ...

    def cancel(self, job_id: int) -> JobOut: ...

    def retry(self, job_id: int, failed_only: bool) -> JobOut: ...

    def confirm(self, job_id: int) -> JobOut: ...

    def apply(self, job_id: int, confirmed: bool) -> JobOut: ...

    def changes(self, job_id: int, outcome: str | None, field: str | None) -> Listing[ItemOut]: ...

    def change_summary(self, job_id: int) -> ChangeSummary: ...

    def list_shops(self) -> list[ShopOut]: ...

    def add_shop(self, name: str, url: str, key: str) -> ShopOut: ...

    def products(self, text: str, limit: int | None) -> Listing[ProductOut]:
        """Catalogue products (SKU order) matching `text`; all when `limit` is None."""
        ...


def backend(settings: Settings | None = None) -> Backend:
    """The remote server when `server_url` is set (a token is then required), else the local database.

    The mode is decided before anything local is created: `runtime()` makes the data dir
    and secret key, which a remote user must not find littered on their machine.
    """
    current = settings or _from_environment()
    if current.remote:
        return RemoteBackend(current.server_url, current.api_token)
    return LocalBackend(runtime(settings))


def local_only(command: str) -> None:
    """Refuse a command that has no API counterpart while remote mode is on.

    Running it against the local database instead would look like success while doing
    nothing to the server the user is pointed at.
    """
    if _from_environment().remote:
        raise RemoteError(f"`{command}` runs on the server only: run it there, with PRESTASYNC_SERVER_URL unset")


def _from_environment() -> Settings:
    # Unlike `load_settings()`, creates nothing on disk.
    return read_settings()


class LocalBackend:
    """The local database, through the same modules the web API uses."""

    poll_s = 0.25

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._control: Control | None = None

    @property
    def control(self) -> Control:
        # Built on first use: reading commands need no queue, and opening one creates its file.
        if self._control is None:
            self._control = control(self.rt)
        return self._control

    def start(self, type: JobType, shop_names: Sequence[str], params: dict[str, Any]) -> list[JobOut]:
        with self.rt.session() as session:
            shop_ids = [shops.find_shop(session, name).id for name in shop_names]
        return [job_out(job) for job in self.control.start(type, shop_ids, params)]

    def get_job(self, job_id: int) -> JobOut:
        with self.rt.session() as session:
            return job_out(queries.get_job(session, job_id))

    def list_jobs(self, status: str | None, shop_name: str | None, limit: int | None) -> Listing[JobOut]:
        with self.rt.session() as session:
            shop_id = shops.find_shop(session, shop_name).id if shop_name else None
            total = queries.count_jobs(session, queries.JobFilter(status, shop_id))

        def fetch(offset: int, size: int) -> list[JobOut]:
            with self.rt.session() as session:
                flt = queries.JobFilter(status, shop_id, limit=size, offset=offset)
                return [job_out(job) for job in queries.list_jobs(session, flt)]

        return Listing(total, _paged(fetch, limit, LOCAL_PAGE))

    def failed_items(self, job_id: int) -> Iterator[ItemOut]:
        with self.rt.session() as session:
            queries.get_job(session, job_id)

        def fetch(offset: int, size: int) -> list[ItemOut]:
            with self.rt.session() as session:
                return [item_out(i) for i in queries.failed_items(session, job_id, offset=offset, limit=size)]

        return _paged(fetch, None, LOCAL_PAGE)

    def cancel(self, job_id: int) -> JobOut:
        return job_out(self.control.cancel(job_id))

    def retry(self, job_id: int, failed_only: bool) -> JobOut:
        return job_out(self.control.retry(job_id, failed_only=failed_only))

    def confirm(self, job_id: int) -> JobOut:
        return job_out(self.control.confirm(job_id))

    def apply(self, job_id: int, confirmed: bool) -> JobOut:
        return job_out(self.control.apply(job_id, confirmed=confirmed))

    def changes(self, job_id: int, outcome: str | None, field: str | None) -> Listing[ItemOut]:
        kind = Outcome(outcome) if outcome else None
        with self.rt.session() as session:
            queries.get_job(session, job_id)
            _, total = queries.changed_items(session, job_id, outcome=kind, field=field, limit=1)

        def fetch(offset: int, size: int) -> list[ItemOut]:
            with self.rt.session() as session:
                page, _ = queries.changed_items(session, job_id, outcome=kind, field=field, offset=offset, limit=size)
                return [item_out(i) for i in page]

        return Listing(total, _paged(fetch, None, LOCAL_PAGE))

    def change_summary(self, job_id: int) -> ChangeSummary:
        with self.rt.session() as session:
            queries.get_job(session, job_id)
            return queries.change_summary(session, job_id)

    def list_shops(self) -> list[ShopOut]:
        with self.rt.session() as session:
            return [shop_out(shop) for shop in shops.list_shops(session)]

    def add_shop(self, name: str, url: str, key: str) -> ShopOut:
        with self.rt.session() as session:
            with session.begin():
                shop = shops.add_shop(session, self.rt.vault, name=name, url=url, key=key)
            return shop_out(shop)

    def products(self, text: str, limit: int | None) -> Listing[ProductOut]:
        with self.rt.session() as session:
            total = catalogue.count(session, text=text)

        def fetch(offset: int, size: int) -> list[ProductOut]:
            with self.rt.session() as session:
                found = catalogue.search(session, text=text, limit=size, offset=offset)
                links = catalogue.bindings_for(session, [p.id for p in found])
                return [product_out(p, links.get(p.id, [])) for p in found]

        return Listing(total, _paged(fetch, limit, LOCAL_PAGE))


def _paged(fetch: Any, limit: int | None, size: int) -> Iterator[Any]:
    """Rows from `fetch(offset, size)` pages, up to `limit` (all when None)."""
    offset = 0
    while limit is None or offset < limit:
        want = size if limit is None else min(size, limit - offset)
        page = fetch(offset, want)
        yield from page
        offset += len(page)
        if len(page) < want:
            return


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

        return Listing(total, _paged(fetch, limit, size))

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
