"""What the job and catalogue commands speak to: a `Backend`, local or remote, and its lists.

The commands speak to a `Backend` in the API's own typed shapes (`contract.JobOut`,
`ItemOut`, `ShopOut`, `ProductOut`): built from rows locally, read back with `model_validate`
remotely, so one command body serves both modes and `--json` prints exactly what the API
sends. The two implementations are `local_backend.LocalBackend` (the local database) and
`remote_backend.RemoteBackend` (a server's JSON API); `mode.backend()` picks one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from prestasync.contract import ChangeSummary, ItemOut, JobOut, ProductOut, ShopOut
from prestasync.progress import JobType

T = TypeVar("T")


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


def paged(fetch: Any, limit: int | None, size: int) -> Iterator[Any]:
    """Rows from `fetch(offset, size)` pages, up to `limit` (all when None)."""
    offset = 0
    while limit is None or offset < limit:
        want = size if limit is None else min(size, limit - offset)
        page = fetch(offset, want)
        yield from page
        offset += len(page)
        if len(page) < want:
            return
