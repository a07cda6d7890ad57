"""Where `catalogue …` and `jobs report` get their files from: the local database, or a server.

Like `backend.py`, and built on its two modes: `LocalFiles` adds the file commands to `LocalBackend`,
`RemoteFiles` to `RemoteBackend`. Locally a file to import is copied into the data dir's
uploads folder (its size checked first) and a job is queued for the workers; remotely it
is uploaded as multipart (httpx streams the file from disk, it is never read whole), and
exports and reports are streamed from the server into the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from prestasync import catalogue_file, filewriter, profiles, reports, shops, uploads
from prestasync.cli.backend import Backend
from prestasync.cli.common import runtime
from prestasync.cli.local_backend import LocalBackend
from prestasync.cli.remote_backend import RemoteBackend
from prestasync.config import Settings
from prestasync.contract import JobOut, ProfileOptions, ProfileOut, job_out, profile_out
from prestasync.errors import RemoteError
from prestasync.filejobs import FileJobs
from prestasync.queries import JobFilter

TRANSFER_TIMEOUT_S = 600.0  # an upload or a download of a large file


class FilesBackend(Backend, Protocol):
    def import_file(self, path: Path, profile: str | None, dry_run: bool) -> JobOut: ...

    def export_catalogue(self, path: Path) -> None: ...

    def jobs_report(self, path: Path, status: str | None, shop_name: str | None, kind: str | None) -> None: ...

    def profiles(self) -> list[ProfileOut]: ...

    def save_profile(self, name: str, mapping: dict[str, str], options: ProfileOptions) -> ProfileOut: ...

    def delete_profile(self, name: str) -> None: ...


def files_backend(settings: Settings | None = None) -> FilesBackend:
    """As `backend()`: the server when PRESTASYNC_SERVER_URL is set, else the local database."""
    current = settings or Settings()  # as backend(): creates nothing on disk before the mode is known
    if current.remote:
        return RemoteFiles(current.server_url, current.api_token)
    return LocalFiles(runtime(settings))


class LocalFiles(LocalBackend):
    def import_file(self, path: Path, profile: str | None, dry_run: bool) -> JobOut:
        stored = uploads.store_file(self.rt.settings, path)
        control = self.control
        return job_out(FileJobs(self.rt, control.queue).start(stored, profile=profile, dry_run=dry_run))

    def export_catalogue(self, path: Path) -> None:
        catalogue_file.write(self.rt.engine, path)

    def jobs_report(self, path: Path, status: str | None, shop_name: str | None, kind: str | None) -> None:
        with self.rt.session() as session:
            shop_id = shops.find_shop(session, shop_name).id if shop_name else None
        reports.write(self.rt.engine, path, JobFilter(status, shop_id, kind))

    def profiles(self) -> list[ProfileOut]:
        with self.rt.session() as session:
            return [profile_out(p) for p in profiles.list_profiles(session)]

    def save_profile(self, name: str, mapping: dict[str, str], options: ProfileOptions) -> ProfileOut:
        with self.rt.session() as session, session.begin():
            return profile_out(profiles.save_profile(session, name, mapping, options))

    def delete_profile(self, name: str) -> None:
        with self.rt.session() as session, session.begin():
            profiles.delete_profile(session, name)


class RemoteFiles(RemoteBackend):
    def import_file(self, path: Path, profile: str | None, dry_run: bool) -> JobOut:
        if not path.is_file():
            raise RemoteError(f"{str(path)!r} is not a file")
        params: dict[str, Any] = {"dry_run": "true" if dry_run else "false"}
        if profile:
            params["profile"] = profile
        with path.open("rb") as src:
            files = {"file": (uploads.display_name(path.name), src)}
            answer = self._call(
                "POST", "/api/catalogue/imports", params=params, files=files, timeout=TRANSFER_TIMEOUT_S
            )
        return self._model(JobOut, answer)

    def export_catalogue(self, path: Path) -> None:
        kind = filewriter.format_for(path.name)
        self.download(f"/api/catalogue/export.{kind}", {}, path, timeout_s=TRANSFER_TIMEOUT_S)

    def jobs_report(self, path: Path, status: str | None, shop_name: str | None, kind: str | None) -> None:
        fmt = filewriter.format_for(path.name)
        query = {"status": status, "type": kind, "shop_id": self._shop_ids([shop_name])[0] if shop_name else None}
        self.download(
            f"/api/jobs/report.{fmt}", {k: v for k, v in query.items() if v}, path, timeout_s=TRANSFER_TIMEOUT_S
        )

    def profiles(self) -> list[ProfileOut]:
        found = self._call("GET", "/api/catalogue/profiles")
        if not isinstance(found, list):
            raise RemoteError(f"the answer from {self.url} to /api/catalogue/profiles is not a list of profiles")
        return [self._model(ProfileOut, p) for p in found]

    def save_profile(self, name: str, mapping: dict[str, str], options: ProfileOptions) -> ProfileOut:
        body = {"mapping": mapping, "options": options.model_dump()}
        return self._model(ProfileOut, self._call("PUT", f"/api/catalogue/profiles/{_segment(name)}", json=body))

    def delete_profile(self, name: str) -> None:
        self._call("DELETE", f"/api/catalogue/profiles/{_segment(name)}")


def _segment(name: str) -> str:
    return quote(name.strip(), safe="")
