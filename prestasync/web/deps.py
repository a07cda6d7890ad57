"""FastAPI dependencies as `Annotated` aliases, so handlers read as prose."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from prestasync.control import Control
from prestasync.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def get_session(rt: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    with Session(rt.engine, expire_on_commit=False) as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A session on the read-only engine, for requests that only read.

    On SQLite it never takes the write lock, so pages and scripts polling the API cannot
    hold up job writers. It also avoids a stall: a reader holding the write lock for a
    whole request, while every threadpool worker waits for that lock, cannot run its own
    teardown (which needs a worker) until the busy timeout expires.
    """
    engine: Engine = request.app.state.reader
    with Session(engine, expire_on_commit=False) as session:
        yield session


def get_control(request: Request) -> Control:
    control: Control = request.app.state.control
    return control


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
ControlDep = Annotated[Control, Depends(get_control)]
