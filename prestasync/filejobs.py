"""Starting file import jobs, shared by the API (an upload) and the CLI (a local file).

`start()` takes a file already stored by `uploads.py`, reads its header with the chosen
profile before any job exists (a file without a SKU column, with a header naming one
column twice, in an unknown encoding or not a workbook at all is refused at once, and its
stored copy removed), then creates one `file_import` job without a shop, named after the
file, with everything it runs on in its params: the stored file, the profile's mapping and
options as they are now (editing the profile later does not change a running or resumed
job), the dry-run flag and the headers it will ignore. The job is enqueued after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from prestasync import filereader, ledger, profiles, queries, uploads
from prestasync.contract import ProfileOptions
from prestasync.errors import ControlError
from prestasync.fileimport import FileParams, read_layout
from prestasync.models import Job
from prestasync.progress import JobStatus, JobType
from prestasync.queue import JobQueue
from prestasync.runtime import Runtime
from prestasync.uploads import Stored

log = logging.getLogger(__name__)


@dataclass
class FileJobs:
    rt: Runtime
    queue: JobQueue

    def start(self, stored: Stored, *, profile: str | None = None, dry_run: bool = False) -> Job:
        """A pending file import of `stored`, enqueued; the stored file is removed if refused."""
        try:
            params = self._params(stored, profile, dry_run)
        except BaseException:
            uploads.remove(self.rt.settings, stored.relative)
            raise
        return self._create(params, stored.name)

    def apply(self, job_id: int) -> Job:
        """Import for real the file a completed dry run previewed (a new job on the same stored file)."""
        with Session(self.rt.engine) as session:
            preview = queries.get_job(session, job_id)
        if preview.type != JobType.FILE_IMPORT or not preview.params.get("dry_run"):
            raise ControlError(f"job {job_id} is not a dry run of a file import")
        if preview.status != JobStatus.COMPLETED:
            raise ControlError(f"job {job_id} is {preview.status}; only a completed dry run can be applied")
        params = {**preview.params, "dry_run": False, "preview_of": job_id}
        return self._create(params, preview.shop_name)

    def _params(self, stored: Stored, profile: str | None, dry_run: bool) -> dict[str, Any]:
        mapping: dict[str, str] = {}
        options = ProfileOptions()
        if profile:
            with Session(self.rt.engine) as session:
                chosen = profiles.get_profile(session, profile)
                mapping, options = dict(chosen.mapping), ProfileOptions.model_validate(chosen.options)
        params: dict[str, Any] = {
            "file": stored.relative,
            "file_name": stored.name,
            "format": stored.format,
            "size": stored.size,
            "profile": profile or None,
            "mapping": mapping,
            "options": options.model_dump(),
            "dry_run": dry_run,
        }
        file = FileParams.of(params)
        path = uploads.resolve(self.rt.settings, stored.relative)
        with filereader.rows(path, file.read_options(self.rt.settings)) as rows:
            columns = read_layout(rows, mapping)
        params["ignored_columns"] = list(columns.ignored)
        return params

    def _create(self, params: dict[str, Any], label: str) -> Job:
        with Session(self.rt.engine, expire_on_commit=False) as session:
            with session.begin():
                job_id = ledger.create_job(session, type=JobType.FILE_IMPORT, shop=None, params=params, label=label)
            try:
                self.queue.enqueue_job(job_id)
            except Exception:  # as Control._enqueue: the reaper enqueues a pending job again
                log.warning("job %d: queue unavailable, the reaper will enqueue it again", job_id, exc_info=True)
            return queries.get_job(session, job_id)
