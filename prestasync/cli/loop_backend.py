"""Where the daily-loop commands (schedules, webhooks, deliveries, notifications) get their data.

The same two modes as `backend.py`, and built on `LocalBackend` and `RemoteBackend`: locally, the modules the
web API calls (`schedules`, `webhooks`, `deliveries`, `notices`) on the local database;
remotely, the server's `/api/schedules`, `/api/webhooks`, `/api/deliveries` and
`/api/notifications`. Both answer in the API's typed shapes (`contract.ScheduleOut` …), so
`--json` prints what the API sends.

Input is checked by the commands before a backend is called (`schedules.Rule.check`,
`webhooks.check_url`), so a bad cron expression is the same exit-2 error in both modes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from prestasync import accounts, deliveries, notices, schedules, webhooks
from prestasync.cli.backend import Listing, paged
from prestasync.cli.common import runtime
from prestasync.cli.local_backend import LocalBackend
from prestasync.cli.remote_backend import RemoteBackend
from prestasync.config import read_settings
from prestasync.contract import (
    DeliveryOut,
    NotificationOut,
    ScheduleOut,
    ShopOut,
    Unread,
    WebhookCreated,
    WebhookOut,
    schedule_out,
    webhook_out,
)
from prestasync.errors import InvalidInput, NotFoundError, RemoteError, ShopNotFound

# The API's cap on `limit` for notifications and deliveries (see web/loop_api.py).
API_PAGE = 200
LOCAL_PAGE = 200


class LoopBackend(Protocol):
    """What the loop commands need, in the web API's typed shapes."""

    def list_shops(self) -> list[ShopOut]: ...

    def list_schedules(self, shop_id: int | None) -> list[ScheduleOut]:
        """By next run, paused ones last."""
        ...

    def get_schedule(self, schedule_id: int) -> ScheduleOut: ...

    def add_schedule(self, shop_id: int, kind: str, rule: schedules.Rule) -> ScheduleOut: ...

    def edit_schedule(self, schedule_id: int, kind: str | None, rule: schedules.Rule) -> ScheduleOut: ...

    def pause_schedule(self, schedule_id: int, paused: bool) -> ScheduleOut: ...

    def delete_schedule(self, schedule_id: int) -> None: ...

    def list_webhooks(self) -> list[WebhookOut]: ...

    def add_webhook(self, url: str, events: Sequence[str]) -> WebhookCreated:
        """The new endpoint with its generated signing secret (the only time it is shown)."""
        ...

    def delete_webhook(self, webhook_id: int) -> None: ...

    def deliveries(self, webhook_id: int | None, limit: int | None) -> Listing[DeliveryOut]:
        """Newest first, each with its tries; all when `limit` is None. An unknown webhook raises."""
        ...

    def notifications(self, user: str | None, unread: bool, limit: int | None) -> Listing[NotificationOut]:
        """The user's notifications newest first (`user`: local mode only, default the admin)."""
        ...

    def read_all(self, user: str | None) -> int:
        """Mark every notification of the user read; returns how many were unread."""
        ...


def loop_backend() -> LoopBackend:
    """The remote server when PRESTASYNC_SERVER_URL is set, else the local database (see `backend()`)."""
    current = read_settings()  # creates nothing on disk: remote mode leaves no trace locally
    if current.remote:
        return RemoteLoop(current.server_url, current.api_token)
    return LocalLoop(runtime())


def find_shop(be: LoopBackend, ref: str) -> ShopOut:
    """A shop by its name, or by its id when no shop has that name."""
    known = be.list_shops()
    for shop in known:
        if shop.name == ref:
            return shop
    for shop in known:
        if ref.strip().isdigit() and shop.id == int(ref):
            return shop
    names = ", ".join(f"{s.name} ({s.id})" for s in known) or "none registered"
    raise ShopNotFound(f"no shop named or numbered {ref!r} (known: {names})")


class LocalLoop(LocalBackend):
    """The local database, through the same functions as `web/loop_api.py`."""

    def _now(self) -> datetime:
        return schedules.scaled_clock(self.rt.settings)()

    def list_schedules(self, shop_id: int | None) -> list[ScheduleOut]:
        with self.rt.session() as session:
            return [schedule_out(session, s) for s in schedules.list_schedules(session, shop_id)]

    def get_schedule(self, schedule_id: int) -> ScheduleOut:
        with self.rt.session() as session:
            return schedule_out(session, schedules.get(session, schedule_id))

    def add_schedule(self, shop_id: int, kind: str, rule: schedules.Rule) -> ScheduleOut:
        with self.rt.session() as session, session.begin():
            row = schedules.add(session, shop_id=shop_id, type=kind, rule=rule, now=self._now())
            return schedule_out(session, row)

    def edit_schedule(self, schedule_id: int, kind: str | None, rule: schedules.Rule) -> ScheduleOut:
        with self.rt.session() as session, session.begin():
            row = schedules.edit(session, schedule_id, type=kind, rule=rule, now=self._now())
            return schedule_out(session, row)

    def pause_schedule(self, schedule_id: int, paused: bool) -> ScheduleOut:
        with self.rt.session() as session, session.begin():
            row = schedules.set_paused(session, schedule_id, paused, now=self._now())
            return schedule_out(session, row)

    def delete_schedule(self, schedule_id: int) -> None:
        with self.rt.session() as session, session.begin():
            schedules.delete(session, schedule_id)

    def list_webhooks(self) -> list[WebhookOut]:
        with self.rt.session() as session:
            return [webhook_out(w) for w in webhooks.list_webhooks(session)]

    def add_webhook(self, url: str, events: Sequence[str]) -> WebhookCreated:
        with self.rt.session() as session, session.begin():
            row, secret = webhooks.add(session, self.rt.vault, url=url, events=list(events))
            return WebhookCreated(**webhook_out(row).model_dump(), secret=secret)

    def delete_webhook(self, webhook_id: int) -> None:
        with self.rt.session() as session, session.begin():
            webhooks.delete(session, webhook_id)

    def deliveries(self, webhook_id: int | None, limit: int | None) -> Listing[DeliveryOut]:
        with self.rt.session() as session:
            if webhook_id is not None:
                webhooks.get(session, webhook_id)
            total = deliveries.log_page(session, webhook_id=webhook_id, limit=1).total

        def fetch(offset: int, size: int) -> list[DeliveryOut]:
            with self.rt.session() as session:
                return deliveries.log_page(session, webhook_id=webhook_id, limit=size, offset=offset).items

        return Listing(total, paged(fetch, limit, LOCAL_PAGE))

    def notifications(self, user: str | None, unread: bool, limit: int | None) -> Listing[NotificationOut]:
        with self.rt.session() as session:
            user_id = self._user_id(session, user)
            lang = notices.settings_for(session, user_id).language or "en"
            total = notices.page(session, self.rt.settings, user_id, lang, limit=1, only_unread=unread).total

        def fetch(offset: int, size: int) -> list[NotificationOut]:
            with self.rt.session() as session:
                found = notices.page(
                    session, self.rt.settings, user_id, lang, limit=size, offset=offset, only_unread=unread
                )
                return found.items

        return Listing(total, paged(fetch, limit, LOCAL_PAGE))

    def read_all(self, user: str | None) -> int:
        with self.rt.session() as session, session.begin():
            return notices.mark_read(session, self._user_id(session, user))

    def _user_id(self, session: Session, user: str | None) -> int:
        name = user or self.rt.settings.admin_user
        found = accounts.find_user(session, name)
        if found is None:
            raise NotFoundError(f"no user named {name!r} (see `prestasync users list`)")
        return found.id


class RemoteLoop(RemoteBackend):
    """A prestasync server's loop API (`web/loop_api.py`), authenticated by an API token."""

    def list_schedules(self, shop_id: int | None) -> list[ScheduleOut]:
        params = {"shop_id": shop_id} if shop_id is not None else {}
        return [self._model(ScheduleOut, s) for s in self._list("/api/schedules", params)]

    def get_schedule(self, schedule_id: int) -> ScheduleOut:
        # The API has no GET for one schedule; the list is short.
        for found in self.list_schedules(None):
            if found.id == schedule_id:
                return found
        raise schedules.ScheduleNotFound(f"no schedule with id {schedule_id}")

    def add_schedule(self, shop_id: int, kind: str, rule: schedules.Rule) -> ScheduleOut:
        body = {"shop_id": shop_id, "type": kind, **_rule_body(rule)}
        return self._model(ScheduleOut, self._call("POST", "/api/schedules", json=body))

    def edit_schedule(self, schedule_id: int, kind: str | None, rule: schedules.Rule) -> ScheduleOut:
        body = {**({"type": kind} if kind else {}), **_rule_body(rule)}
        return self._model(ScheduleOut, self._call("PATCH", f"/api/schedules/{schedule_id}", json=body))

    def pause_schedule(self, schedule_id: int, paused: bool) -> ScheduleOut:
        action = "pause" if paused else "resume"
        return self._model(ScheduleOut, self._call("POST", f"/api/schedules/{schedule_id}/{action}"))

    def delete_schedule(self, schedule_id: int) -> None:
        self._call("DELETE", f"/api/schedules/{schedule_id}")

    def list_webhooks(self) -> list[WebhookOut]:
        return [self._model(WebhookOut, w) for w in self._list("/api/webhooks", {})]

    def add_webhook(self, url: str, events: Sequence[str]) -> WebhookCreated:
        body = {"url": url, "events": list(events)}
        return self._model(WebhookCreated, self._call("POST", "/api/webhooks", json=body))

    def delete_webhook(self, webhook_id: int) -> None:
        self._call("DELETE", f"/api/webhooks/{webhook_id}")

    def deliveries(self, webhook_id: int | None, limit: int | None) -> Listing[DeliveryOut]:
        query: dict[str, Any] = {}
        if webhook_id is not None:
            # The API answers an empty log for an unknown webhook; the CLI says it is unknown.
            if all(w.id != webhook_id for w in self.list_webhooks()):
                raise webhooks.WebhookNotFound(f"no webhook with id {webhook_id}")
            query["webhook_id"] = webhook_id
        return self._listing(DeliveryOut, "/api/deliveries", query, limit=limit, size=API_PAGE)

    def notifications(self, user: str | None, unread: bool, limit: int | None) -> Listing[NotificationOut]:
        _no_user(user)
        query = {"unread": "true"} if unread else {}
        return self._listing(NotificationOut, "/api/notifications", query, limit=limit, size=API_PAGE)

    def read_all(self, user: str | None) -> int:
        _no_user(user)
        before = self._model(Unread, self._call("GET", "/api/notifications/unread")).unread
        self._call("POST", "/api/notifications/read-all")
        return before

    def _list(self, path: str, params: dict[str, Any]) -> list[Any]:
        found = self._call("GET", path, params=params)
        if not isinstance(found, list):
            raise RemoteError(f"the answer from {self.url} to {path} is not a list")
        return found


def _rule_body(rule: schedules.Rule) -> dict[str, Any]:
    return {"every_min": rule.every_min, "cron": rule.cron, "timezone": rule.timezone}


def _no_user(user: str | None) -> None:
    if user:
        raise InvalidInput("--user is for the local database; remote mode reads the API token's user's notifications")
