"""Webhook endpoints: who is told about job events, and how a call is signed and sent.

Each POST carries the job JSON plus the event (`contract.JobEvent`) and three headers:

    X-Prestasync-Event: failed
    X-Prestasync-Delivery: 42                      (the same on every retry: deduplicate on it)
    X-Prestasync-Timestamp: 1796161487             (Unix seconds when this try was signed)
    X-Prestasync-Signature: sha256=<hex>           HMAC-SHA256(secret, "<timestamp>.<raw body>")

A receiver recomputes the HMAC over the timestamp, a dot and the body bytes exactly as
received, compares in constant time, and refuses a timestamp more than a few minutes
old, so a captured call cannot be replayed later. Signing the timestamp with the body is
the scheme Stripe documents for its webhooks ("Verify the events that Stripe sends to your
webhook endpoints", the `t=` and `v1=` parts of `Stripe-Signature`).

Secrets are generated (or given) when an endpoint is added, shown once, sealed with the
vault like shop keys, and never logged or returned again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from prestasync.errors import InvalidInput, NotFoundError
from prestasync.messages import EVENTS
from prestasync.models import ANSWER_MAX, WEBHOOK_URL_MAX, Webhook, utcnow
from prestasync.vault import Vault

SIGNATURE = "X-Prestasync-Signature"
TIMESTAMP = "X-Prestasync-Timestamp"
EVENT = "X-Prestasync-Event"
DELIVERY = "X-Prestasync-Delivery"
MIN_SECRET = 16


class WebhookNotFound(NotFoundError):
    """No webhook with that id."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, max_age_s: float = 300.0) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age_s:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > WEBHOOK_URL_MAX:
        raise InvalidInput(f"a webhook URL is http(s)://host/… and at most {WEBHOOK_URL_MAX} characters")
    if parts.username or parts.password:
        raise InvalidInput("a webhook URL must not carry a user or password; the signature authenticates us")
    return url


def check_events(events: list[str]) -> list[str]:
    chosen = sorted(set(events), key=EVENTS.index) if set(events) <= set(EVENTS) else None
    if not chosen:
        raise InvalidInput(f"choose events among: {', '.join(EVENTS)}")
    return chosen


def add(session: Session, vault: Vault, *, url: str, events: list[str], secret: str = "") -> tuple[Webhook, str]:
    """A new endpoint and its plain secret (generated when none is given; shown once). The caller commits."""
    secret = secret.strip() or secrets.token_urlsafe(32)
    if len(secret) < MIN_SECRET:
        raise InvalidInput(f"a webhook secret has at least {MIN_SECRET} characters")
    row = Webhook(
        url=check_url(url),
        events=check_events(events),
        secret_encrypted=vault.seal(secret),
        enabled=True,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, secret


def get(session: Session, webhook_id: int) -> Webhook:
    row = session.get(Webhook, webhook_id)
    if row is None:
        raise WebhookNotFound(f"no webhook with id {webhook_id}")
    return row


def delete(session: Session, webhook_id: int) -> None:
    """Remove an endpoint; its deliveries go with it. The caller commits."""
    session.delete(get(session, webhook_id))
    session.flush()


def list_webhooks(session: Session) -> list[Webhook]:
    return list(session.execute(select(Webhook).order_by(Webhook.id)).scalars())


@dataclass(frozen=True)
class Answer:
    """How one try went: the HTTP status (None when there was no answer) and an excerpt."""

    status: int | None
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, secret: str, body: str, *, event: str, delivery_id: int, timeout_s: float) -> Answer:
    """Send one signed try. Never raises for the network: an error is an Answer without status."""
    raw = body.encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "prestasync-webhook",
        EVENT: event,
        DELIVERY: str(delivery_id),
        TIMESTAMP: str(stamp),
        SIGNATURE: sign(secret, stamp, raw),
    }
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            response = client.post(url, content=raw, headers=headers)
    except httpx.HTTPError as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:ANSWER_MAX])
    return Answer(response.status_code, response.text[:ANSWER_MAX])
