"""The web application factory: routers, error handlers, lifespan. Nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from prestasync import __version__, jobs
from prestasync.control import Control, ControlError, Enqueuer
from prestasync.jobs import JobNotFound
from prestasync.progress import InvalidTransition
from prestasync.queue import make_huey
from prestasync.runtime import Runtime
from prestasync.shops import ShopError
from prestasync.tasks import Tasks
from prestasync.web.api import metrics_text, router


def create_app(rt: Runtime, *, queue: Enqueuer | None = None) -> FastAPI:
    """Build the app around a runtime. `queue` defaults to the configured Huey queue."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if rt.settings.uses_embedded_database:
            rt.migrate()
        yield

    app = FastAPI(title="prestasync", version=__version__, lifespan=lifespan)
    app.state.runtime = rt
    app.state.control = Control(rt, queue or Tasks(make_huey(rt.settings.resolved_queue_url), rt))
    app.include_router(router)
    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    _error_handlers(app)
    return app


def healthz(request: Request) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unhealthy", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "version": __version__})


def metrics(request: Request) -> PlainTextResponse:
    rt: Runtime = request.app.state.runtime
    with Session(rt.engine) as session:
        counts = jobs.summary(session)
    return PlainTextResponse(metrics_text(counts), media_type="text/plain; version=0.0.4")


def _error_handlers(app: FastAPI) -> None:
    def handler(status: int):  # type: ignore[no-untyped-def]
        async def respond(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=status)

        return respond

    app.add_exception_handler(JobNotFound, handler(404))
    app.add_exception_handler(ShopError, handler(422))
    app.add_exception_handler(ControlError, handler(409))
    app.add_exception_handler(InvalidTransition, handler(409))
