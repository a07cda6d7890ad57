"""Serving the app with uvicorn so that a stop is prompt however many event streams are open.

uvicorn's graceful shutdown first waits for every response to finish, and an event stream
never finishes by itself: the stop would wait for `timeout_graceful_shutdown` and then
cancel the streams mid-response. `Server` ends the streams (`Broadcaster.close`) as the
very first step of its shutdown, whatever started it (a signal, or `should_exit` set by
an embedding program), so they end cleanly and the stop takes as long as the slowest
ordinary request.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from prestasync.web.events import Broadcaster


class Server(uvicorn.Server):
    """A uvicorn server that closes the app's event streams when it begins to shut down."""

    def __init__(self, config: uvicorn.Config, broadcaster: Broadcaster) -> None:
        super().__init__(config)
        self.broadcaster = broadcaster

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.broadcaster.close()
        await super().shutdown(sockets)


def serve(app: FastAPI, host: str, port: int, *, timeout_s: float) -> None:
    """Run `app` until SIGINT/SIGTERM; requests still running after `timeout_s` are cancelled."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=int(timeout_s) or 1
    )
    Server(config, app.state.broadcaster).run()
