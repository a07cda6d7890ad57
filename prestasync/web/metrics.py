"""`/metrics` in the Prometheus text format."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from prestasync import stats


def metrics_text(counts: dict[str, int]) -> str:
    lines = ["# HELP prestasync_jobs Jobs by status.", "# TYPE prestasync_jobs gauge"]
    lines += [f'prestasync_jobs{{status="{status}"}} {n}' for status, n in sorted(counts.items())]
    return "\n".join(lines) + "\n"


def metrics(request: Request) -> PlainTextResponse:
    reader: Engine = request.app.state.reader
    with Session(reader) as session:
        counts = stats.summary(session)
    return PlainTextResponse(metrics_text(counts), media_type="text/plain; version=0.0.4")
