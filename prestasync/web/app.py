"""The web application factory: routers, middleware, error handlers, lifespan. Nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from starlette.middleware.sessions import SessionMiddleware

from prestasync import __version__, accounts
from prestasync.control import Control
from prestasync.db import make_engine
from prestasync.queue import JobQueue, make_huey
from prestasync.runtime import Runtime
from prestasync.tasks import Tasks
from prestasync.web import auth, errors, events, files_api, loop_api, loop_pages, pages, products_api, shops_api
from prestasync.web.api import router
from prestasync.web.auth import AuthGate, SecurityHeaders, require_principal
from prestasync.web.metrics import metrics, web_registry

STATIC = Path(__file__).parent / "static"


def create_app(rt: Runtime, *, queue: JobQueue | None = None, live: events.LiveSettings | None = None) -> FastAPI:
    """Build the app around a runtime. `queue` defaults to the configured Huey queue.

    `live` tunes the job-change poller; by default it polls as often as job progress is
    written (`progress_interval_s`).
    """
    url = rt.settings.resolved_database_url
    reader = make_engine(url, read_only=True)
    live = live or events.LiveSettings(interval_s=max(0.05, rt.settings.progress_interval_s))
    broadcaster = events.Broadcaster(make_engine(url, read_only=True), live)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if rt.settings.uses_embedded_database:
            await anyio.to_thread.run_sync(rt.migrate)
        await anyio.to_thread.run_sync(accounts.ensure_admin, rt.engine, rt.settings)
        broadcaster.start()
        restore_signals = events.close_on_signals(broadcaster)
        try:
            yield
        finally:
            restore_signals()
            await broadcaster.stop()
            reader.dispose()

    app = FastAPI(title="prestasync", version=__version__, lifespan=lifespan)
    app.state.runtime = rt
    app.state.reader = reader
    app.state.broadcaster = broadcaster
    app.state.login_limiter = auth.LoginLimiter()
    app.state.control = Control(
        rt, queue or Tasks(make_huey(rt.settings.resolved_queue_url, rt.settings.queue_name), rt)
    )
    app.state.metrics_registry = web_registry(reader, broadcaster, app.state.control.queue)
    signed_in = [Depends(require_principal)]
    # Before `router`: its /api/jobs/{job_id} would otherwise take /api/jobs/report.csv.
    app.include_router(files_api.router, dependencies=signed_in)
    app.include_router(router, dependencies=signed_in)
    app.include_router(shops_api.router, dependencies=signed_in)
    app.include_router(products_api.router, dependencies=signed_in)
    app.include_router(loop_api.router, dependencies=signed_in)
    app.include_router(loop_pages.router)
    app.include_router(events.router, dependencies=signed_in)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False, dependencies=signed_in)
    # Added innermost first: SecurityHeaders wraps SessionMiddleware wraps AuthGate wraps the routes.
    app.add_middleware(AuthGate, rt=rt, reader=reader)
    app.add_middleware(
        SessionMiddleware,
        secret_key=auth.session_key(rt.settings.secret_key),
        session_cookie=auth.SESSION_COOKIE,
        max_age=auth.SESSION_MAX_AGE,
        https_only=rt.settings.cookie_secure,
        same_site="lax",
    )
    app.add_middleware(SecurityHeaders)
    errors.install(app)
    return app


def healthz(request: Request) -> JSONResponse:
    reader: Engine = request.app.state.reader  # a probe must not take SQLite's write lock
    try:
        with reader.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unhealthy", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "version": __version__})
