"""The API's one table from the error tree (`prestasync/errors.py`) to HTTP status codes.

Every error answer has the `Problem` shape `{"detail": "…"}`, request validation included
(FastAPI's list of problems is joined into one line). A `PrestasyncError` branch
maps to its status with its own message; a shop's error (`PrestaShopError`) is a 502 with the
shop's one-line message (which never holds the key); anything else is a bug: a 500 that says
so without details, logged with its traceback.

Starlette's own HTTP errors get the same body. Two are changed on the way: FastAPI answers
400 for a body it cannot decode (not UTF-8) but 422 for one that is not JSON, so both are a
422 here (one documented status for "malformed request"); and a 405 lists in `Allow` the
methods of every route on the path, not only of the first route Starlette tried (which
answered `OPTIONS /api/jobs` with `Allow: GET` although `POST` exists).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from prestasync.errors import (
    ConfigError,
    InvalidInput,
    NotFoundError,
    PrestasyncError,
    Refused,
    TooLarge,
    Unavailable,
)
from prestasync.prestashop import PrestaShopError

log = logging.getLogger(__name__)

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
STATUS: dict[type[Exception], int] = {
    NotFoundError: 404,
    InvalidInput: 422,
    TooLarge: 413,
    Refused: 409,
    Unavailable: 503,
    ConfigError: 500,
    PrestasyncError: 500,
    PrestaShopError: 502,
}


def status_for(exc: Exception) -> int:
    """The status of the nearest branch of `exc`'s class in `STATUS` (500 when none)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def install(app: FastAPI) -> None:
    """Register the handlers: one for our tree and the shop's, one for everything else."""

    async def known(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal error; the server log has the details"}, status_code=500)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 400:  # FastAPI's "There was an error parsing the body"
            return JSONResponse({"detail": "the request body is not valid JSON"}, status_code=422)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=headers)

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(PrestasyncError, known)
    app.add_exception_handler(PrestaShopError, known)
    app.add_exception_handler(Exception, bug)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on the request's path (asked method by method:
    FastAPI wraps included routers, so a route's own `methods` are not all visible here)."""
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.router.routes
        )
    ]


def validation_message(exc: RequestValidationError) -> str:
    """FastAPI's list of validation problems as one line: `query.limit: Input should be … ; …`."""
    parts = []
    for problem in exc.errors()[:5]:
        where = ".".join(str(p) for p in problem.get("loc", ()))
        parts.append(f"{where}: {problem.get('msg', 'invalid')}" if where else str(problem.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"
