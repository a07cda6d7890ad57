"""FastAPI dependencies as `Annotated` aliases, so handlers read as prose."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from prestasync.control import Control
from prestasync.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def get_session(rt: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    with Session(rt.engine, expire_on_commit=False) as session:
        yield session


def get_control(request: Request) -> Control:
    control: Control = request.app.state.control
    return control


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session)]
ControlDep = Annotated[Control, Depends(get_control)]
