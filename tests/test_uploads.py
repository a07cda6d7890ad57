"""Stored upload files: names, limits, and the daily prune of files no job refers to."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from prestasync import ledger, uploads
from prestasync.config import Settings
from prestasync.errors import FileRejected, TooLarge
from prestasync.progress import JobType
from prestasync.runtime import Runtime


def test_names_limits_and_refusals(settings: Settings, tmp_path: Path) -> None:
    assert uploads.display_name("C:\\Users\\me\\ceny\u0007.csv") == "ceny.csv"
    small = settings.model_copy(update={"file_max_bytes": 1024})
    with pytest.raises(TooLarge):
        uploads.store_chunks(small, "a.csv", [b"x" * 600, b"y" * 600])
    with pytest.raises(FileRejected, match="is empty"):
        uploads.store_chunks(small, "a.csv", [])
    with pytest.raises(FileRejected, match="does not name a stored file"):
        uploads.resolve(small, "uploads/../../secret.key")
    assert list((small.data_dir / uploads.FOLDER).iterdir()) == []


def test_prune_removes_only_old_files_no_job_names(settings: Settings, tmp_path: Path) -> None:
    rt = Runtime(settings)
    rt.migrate()
    kept = uploads.store_chunks(settings, "kept.csv", [b"sku\n"])
    orphan = uploads.store_chunks(settings, "orphan.csv", [b"sku\n"])
    fresh = uploads.store_chunks(settings, "fresh.csv", [b"sku\n"])
    with Session(rt.engine) as session, session.begin():
        ledger.create_job(session, type=JobType.FILE_IMPORT, shop=None, params={"file": kept.relative})
    old = time.time() - 2 * uploads.PRUNE_AFTER_S
    for stored in (kept, orphan):
        os.utime(settings.data_dir / stored.relative, (old, old))
    assert uploads.prune(settings, rt.engine) == 1
    left = {p.name for p in (settings.data_dir / uploads.FOLDER).iterdir()}
    assert left == {Path(kept.relative).name, Path(fresh.relative).name}
    rt.dispose()
