"""The daily loop's pages and forms: notifications and their settings, webhooks with their delivery
log, and the schedule forms of the shops page. Same rules as `pages.py` (autoescaped, no inline
code, CSRF on every form, errors shown on the page rather than as a 500)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from prestasync import deliveries, messages, notices, schedules, shops, webhooks
from prestasync.contract import NotifySettings, webhook_out
from prestasync.errors import PrestasyncError
from prestasync.web.auth import CurrentUser
from prestasync.web.deps import RuntimeDep
from prestasync.web.loop_api import reader_language
from prestasync.web.pages import _flash, _reader, _redirect, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=500)]
Many = Annotated[list[str] | None, Form(max_length=10)]


@router.get("/notifications")
def notifications_page(request: Request, rt: RuntimeDep, principal: CurrentUser) -> HTMLResponse:
    """The caller's notifications and their notification settings."""
    with Session(_reader(request)) as session:
        lang = reader_language(request, session, principal.user_id)
        listed = notices.page(session, rt.settings, principal.user_id, lang, limit=100)
        mine = notices.settings_for(session, principal.user_id)
        shop_list = shops.list_shops(session)
    context = {"page": "notifications", "items": listed.items, "mine": mine, "shops": shop_list}
    return render(request, "notifications.html", {**context, "events": messages.EVENTS})


@router.post("/notifications", response_model=None)
def save_settings(
    request: Request,
    rt: RuntimeDep,
    principal: CurrentUser,
    email: Text = "",
    language: Text = "",
    events: Many = None,
    shop_ids: Many = None,
) -> Response:
    wanted = NotifySettings(
        email=email or None,
        language=language or None,
        email_events=events or [],
        email_shops=[int(s) for s in shop_ids or [] if s.isdigit()],
    )
    try:
        with rt.session() as session, session.begin():
            notices.save_settings(session, principal.user_id, wanted)
    except PrestasyncError as exc:
        _flash(request, "error", "loop.failed", error=exc)
    else:
        _flash(request, "ok", "notify.saved")
    return _redirect("/notifications")


@router.post("/notifications/read-all")
def read_all(request: Request, rt: RuntimeDep, principal: CurrentUser) -> RedirectResponse:
    with rt.session() as session, session.begin():
        notices.mark_read(session, principal.user_id)
    return _redirect("/notifications")


@router.get("/webhooks")
def webhooks_page(request: Request, principal: CurrentUser) -> HTMLResponse:
    with Session(_reader(request)) as session:
        hooks = [webhook_out(w) for w in webhooks.list_webhooks(session)]
        log = deliveries.log_page(session, limit=50)
    context = {"page": "webhooks", "hooks": hooks, "log": log.items, "events": messages.EVENTS}
    return render(request, "webhooks.html", context)


@router.post("/webhooks", response_model=None)
def add_webhook(
    request: Request,
    rt: RuntimeDep,
    principal: CurrentUser,
    url: Text,
    events: Many = None,
    secret: Text = "",
) -> Response:
    try:
        with rt.session() as session, session.begin():
            _, plain = webhooks.add(session, rt.vault, url=url, events=events or [], secret=secret)
    except PrestasyncError as exc:
        _flash(request, "error", "loop.failed", error=exc)
    else:  # shown once, on the page that follows
        _flash(request, "ok", "webhooks.added", secret=plain)
    return _redirect("/webhooks")


@router.post("/webhooks/{webhook_id}/delete", response_model=None)
def delete_webhook(request: Request, rt: RuntimeDep, principal: CurrentUser, webhook_id: int) -> Response:
    return _act(request, lambda s: webhooks.delete(s, webhook_id), rt, "/webhooks", "webhooks.deleted")


@router.post("/schedules", response_model=None)
def add_schedule(
    request: Request,
    rt: RuntimeDep,
    principal: CurrentUser,
    shop_id: Annotated[int, Form(ge=1)],
    type: Text,
    every_min: Text = "",
    cron: Text = "",
    timezone: Text = "UTC",
) -> Response:
    rule = _rule(every_min, cron, timezone)
    now = schedules.scaled_clock(rt.settings)()
    return _act(
        request,
        lambda s: schedules.add(s, shop_id=shop_id, type=type, rule=rule, now=now),
        rt,
        f"/shops#shop-{shop_id}",
        "schedules.saved",
    )


@router.post("/schedules/{schedule_id}", response_model=None)
def edit_schedule(
    request: Request,
    rt: RuntimeDep,
    principal: CurrentUser,
    schedule_id: int,
    type: Text,
    every_min: Text = "",
    cron: Text = "",
    timezone: Text = "UTC",
) -> Response:
    rule = _rule(every_min, cron, timezone)
    now = schedules.scaled_clock(rt.settings)()
    change = lambda s: schedules.edit(s, schedule_id, type=type, rule=rule, now=now)  # noqa: E731
    return _act(request, change, rt, "/shops", "schedules.saved")


@router.post("/schedules/{schedule_id}/{action}", response_model=None)
def schedule_action(
    request: Request, rt: RuntimeDep, principal: CurrentUser, schedule_id: int, action: str
) -> Response:
    """pause, resume or delete."""
    now = schedules.scaled_clock(rt.settings)()
    steps: dict[str, Any] = {
        "pause": lambda s: schedules.set_paused(s, schedule_id, True, now=now),
        "resume": lambda s: schedules.set_paused(s, schedule_id, False, now=now),
        "delete": lambda s: schedules.delete(s, schedule_id),
    }
    if action not in steps:
        return _redirect("/shops")
    done = {"pause": "schedules.paused_done", "resume": "schedules.resumed", "delete": "schedules.deleted"}
    return _act(request, steps[action], rt, "/shops", done[action])


def _rule(every_min: str, cron: str, timezone: str) -> schedules.Rule:
    every = int(every_min) if every_min.strip().isdigit() else None
    return schedules.Rule(every, cron.strip() or None, timezone.strip() or "UTC")


def _act(request: Request, step: Any, rt: RuntimeDep, back: str, done_key: str) -> Response:
    """Run one change in a transaction; flash its outcome (or the reason it was refused) and go back."""
    try:
        with rt.session() as session, session.begin():
            step(session)
    except PrestasyncError as exc:
        _flash(request, "error", "loop.failed", error=exc)
    else:
        _flash(request, "ok", done_key)
    return _redirect(back)
