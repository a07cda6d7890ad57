"""A failing job, two workers' notify loops racing: one e-mail (a real SMTP server), one signed
webhook (a real HTTP receiver answering 500 twice), one notification per user, three logged tries."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from prestasync import accounts, deliveries, ledger, notices, shops, webhooks
from prestasync.config import Settings
from prestasync.contract import NotifySettings
from prestasync.ledger import Delta, NewItem
from prestasync.loop import Loop
from prestasync.progress import ItemState, JobStatus, JobType
from prestasync.runtime import Runtime
from tests.conftest import RecordingQueue, wait_for

SECRET = "receiver-shared-secret-0123456789"


class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd checks it is up by connecting: it needs a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver: answers 500 to the first `fail` calls, 200 after; checks each signature."""

    calls: list[dict[str, Any]] = []
    fail = 2

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        stamp, signature = self.headers["X-Prestasync-Timestamp"], self.headers["X-Prestasync-Signature"]
        expected = "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        self.calls.append(
            {
                "body": body,
                "valid": hmac.compare_digest(expected, signature),
                "id": self.headers["X-Prestasync-Delivery"],
            }
        )
        status = 500 if len(self.calls) <= self.fail else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"boom" if status == 500 else b"thanks")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def failing_job(rt: Runtime) -> int:
    """A job that failed after two of its items did, written through the ledger like a worker does."""
    with rt.session() as session, session.begin():
        shop = shops.add_shop(session, rt.vault, name="Demo PL", url="http://127.0.0.1:9", key="K" * 32)
        job_id = ledger.create_job(session, type=JobType.IMPORT, shop=shop, total=10)
        ledger.transition(session, job_id, JobStatus.RUNNING)
        items = [NewItem(f"SKU-{n}", ItemState.FAILED, f"price '{n}x' is not a valid price") for n in (1, 2)]
        ledger.record(session, job_id, Delta(done={}, items=items))
        ledger.finish(session, job_id, JobStatus.FAILED, "shop unreachable: connection failed")
    return job_id


def test_a_failing_job_sends_one_email_and_one_signed_webhook_retried_twice(
    settings: Settings, smtp: tuple[Inbox, int], receiver: str
) -> None:
    inbox, port = smtp
    s = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "public_url": "https://sync.example.com/",
            "delivery_backoff_s": 0.05,
            "admin_password": "correct horse battery",
        }
    )
    rt = Runtime(s)
    rt.migrate()
    accounts.ensure_admin(rt.engine, s)
    with rt.session() as session, session.begin():
        admin = accounts.find_user(session, "admin")
        assert admin is not None
        notices.save_settings(
            session,
            admin.id,
            NotifySettings(email="ops@example.com", language="pl", email_events=["failed"], email_shops=[]),
        )
        accounts.create_user(session, "second", "another password")
        webhooks.add(session, rt.vault, url=receiver, events=["failed", "completed"], secret=SECRET)
    job_id = failing_job(rt)

    loops = [Loop(Runtime(s), RecordingQueue()), Loop(Runtime(s), RecordingQueue())]

    def race() -> None:
        barrier = threading.Barrier(len(loops))

        def one(loop: Loop) -> None:
            barrier.wait()
            loop.notify_tick()

        threads = [threading.Thread(target=one, args=(loop,)) for loop in loops]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def delivered() -> bool:
        race()
        return len(Receiver.calls) >= 3 and len(inbox.messages) >= 1

    wait_for(delivered, 20, "the e-mail and the webhook's third try")
    for _ in range(5):  # nothing more comes however often the loops tick
        race()

    assert len(inbox.messages) == 1
    mail = message_from_bytes(inbox.messages[0])
    assert mail["To"] == "ops@example.com"
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert f"https://sync.example.com/shops/sync?job={job_id}" in text
    assert "błędów: 2" in text and "2 × price '…' is not a valid price" in text and "Import · Demo PL: błąd" in text

    assert len(Receiver.calls) == 3 and all(call["valid"] for call in Receiver.calls)
    assert len({call["id"] for call in Receiver.calls}) == 1  # one delivery, tried three times
    payload = json.loads(Receiver.calls[0]["body"])
    assert (payload["event"], payload["id"], payload["status"], payload["failed"]) == ("failed", job_id, "failed", 2)

    with Session(rt.engine) as session:
        log = deliveries.log_page(session)
        hooks = [d for d in log.items if d.channel == "webhook"]
        assert len(hooks) == 1 and hooks[0].state == "done"
        assert [(t.attempt, t.status) for t in hooks[0].tries] == [(1, 500), (2, 500), (3, 200)]
        assert hooks[0].tries[0].answer == "boom"
        assert [d.state for d in log.items if d.channel == "email"] == ["done"]
        for user in ("admin", "second"):
            found = accounts.find_user(session, user)
            assert found is not None and notices.unread(session, found.id) == 1
