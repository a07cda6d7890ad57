"""The JSON API of the daily loop: schedules, the notification centre, notification settings,
webhooks and the delivery log. Same rules as `api.py`: typed answers, bounded inputs, `Problem`s."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from prestasync import deliveries, notices, schedules, webhooks
from prestasync.contract import (
    DeliveryOut,
    NotificationOut,
    NotifySettings,
    Page,
    ScheduleOut,
    Unread,
    WebhookCreated,
    WebhookOut,
    schedule_out,
    webhook_out,
)
from prestasync.models import CRON_MAX, WEBHOOK_URL_MAX
from prestasync.web.api import MAX_ID, Offset, _problems
from prestasync.web.auth import CurrentUser
from prestasync.web.deps import ReadSessionDep, RuntimeDep, SessionDep
from prestasync.web.i18n import COOKIE, choose_language

router = APIRouter(prefix="/api", responses=_problems())
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Event = Literal["completed", "failed", "held", "cancelled"]


class ScheduleRequest(BaseModel):
    """A schedule: `every_min` or `cron` (five fields, read in `timezone`)."""

    model_config = ConfigDict(extra="forbid")

    shop_id: int = Field(ge=1, le=MAX_ID)
    type: Literal["sync", "import"]
    every_min: int | None = Field(None, ge=1, le=schedules.MAX_EVERY_MIN)
    cron: str | None = Field(None, max_length=CRON_MAX)
    timezone: str = Field("UTC", max_length=64)


class ScheduleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["sync", "import"] | None = None
    every_min: int | None = Field(None, ge=1, le=schedules.MAX_EVERY_MIN)
    cron: str | None = Field(None, max_length=CRON_MAX)
    timezone: str = Field("UTC", max_length=64)


class WebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=WEBHOOK_URL_MAX)
    events: list[Event] = Field(min_length=1, max_length=4)
    secret: str = Field("", max_length=200, description="leave empty to have one generated (shown once)")


class SettingsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, max_length=254)
    language: Literal["en", "pl"] | None = None
    email_events: list[Event] = Field(default_factory=list, max_length=4)
    email_shops: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=1000)


def schedules_context(session: Session) -> list[dict[str, Any]]:
    """Schedules as the shops page and the sync centre show them."""
    return [schedule_out(session, s).model_dump(mode="json") for s in schedules.list_schedules(session)]


def _now(rt: RuntimeDep) -> schedules.Clock:
    return schedules.scaled_clock(rt.settings)


@router.get("/schedules", response_model=list[ScheduleOut])
def list_schedules(
    session: ReadSessionDep, shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> list[ScheduleOut]:
    """Schedules by next run, paused ones last."""
    return [schedule_out(session, s) for s in schedules.list_schedules(session, shop_id)]


@router.post("/schedules", status_code=201, response_model=ScheduleOut)
def add_schedule(body: ScheduleRequest, rt: RuntimeDep, session: SessionDep) -> ScheduleOut:
    rule = schedules.Rule(body.every_min, body.cron, body.timezone)
    with session.begin():
        row = schedules.add(session, shop_id=body.shop_id, type=body.type, rule=rule, now=_now(rt)())
        return schedule_out(session, row)


@router.patch("/schedules/{schedule_id}", response_model=ScheduleOut, responses=_problems(404))
def edit_schedule(schedule_id: Id, body: ScheduleChange, rt: RuntimeDep, session: SessionDep) -> ScheduleOut:
    rule = schedules.Rule(body.every_min, body.cron, body.timezone)
    with session.begin():
        row = schedules.edit(session, schedule_id, type=body.type, rule=rule, now=_now(rt)())
        return schedule_out(session, row)


@router.post("/schedules/{schedule_id}/{action}", response_model=ScheduleOut, responses=_problems(404))
def pause_schedule(
    schedule_id: Id, action: Literal["pause", "resume"], rt: RuntimeDep, session: SessionDep
) -> ScheduleOut:
    """Pause, or resume from the next slot (missed slots are not made up for)."""
    with session.begin():
        row = schedules.set_paused(session, schedule_id, action == "pause", now=_now(rt)())
        return schedule_out(session, row)


@router.delete("/schedules/{schedule_id}", status_code=204, responses=_problems(404))
def delete_schedule(schedule_id: Id, session: SessionDep) -> None:
    with session.begin():
        schedules.delete(session, schedule_id)


def reader_language(request: Request, session: Session, user_id: int) -> str:
    """The user's chosen language, else the dashboard's (cookie, Accept-Language)."""
    chosen = request.query_params.get("lang") or request.cookies.get(COOKIE)
    return notices.settings_for(session, user_id).language or choose_language(
        chosen, request.headers.get("accept-language", "")
    )


@router.get("/notifications", response_model=Page[NotificationOut])
def list_notifications(
    request: Request,
    session: ReadSessionDep,
    rt: RuntimeDep,
    principal: CurrentUser,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Offset = 0,
) -> Page[NotificationOut]:
    """The caller's notifications, newest first, in their language."""
    lang = reader_language(request, session, principal.user_id)
    return notices.page(session, rt.settings, principal.user_id, lang, limit=limit, offset=offset, only_unread=unread)


@router.get("/notifications/unread", response_model=Unread)
def unread_count(session: ReadSessionDep, principal: CurrentUser) -> Unread:
    return Unread(unread=notices.unread(session, principal.user_id))


@router.post("/notifications/read-all", response_model=Unread)
def read_all(session: SessionDep, principal: CurrentUser) -> Unread:
    with session.begin():
        notices.mark_read(session, principal.user_id)
    return Unread(unread=0)


@router.post("/notifications/{notification_id}/read", response_model=Unread, responses=_problems(404))
def read_one(notification_id: Id, session: SessionDep, principal: CurrentUser) -> Unread:
    with session.begin():
        notices.mark_read(session, principal.user_id, notification_id)
        return Unread(unread=notices.unread(session, principal.user_id))


@router.get("/me/notifications", response_model=NotifySettings)
def my_settings(session: ReadSessionDep, principal: CurrentUser) -> NotifySettings:
    return notices.settings_for(session, principal.user_id)


@router.put("/me/notifications", response_model=NotifySettings)
def save_my_settings(body: SettingsRequest, session: SessionDep, principal: CurrentUser) -> NotifySettings:
    """E-mail address, language, and which job events are e-mailed for which shops (none: all)."""
    wanted = NotifySettings(**body.model_dump())
    with session.begin():
        return notices.save_settings(session, principal.user_id, wanted)


@router.get("/webhooks", response_model=list[WebhookOut])
def list_webhooks(session: ReadSessionDep) -> list[WebhookOut]:
    return [webhook_out(w) for w in webhooks.list_webhooks(session)]


@router.post("/webhooks", status_code=201, response_model=WebhookCreated)
def add_webhook(body: WebhookRequest, rt: RuntimeDep, session: SessionDep) -> WebhookCreated:
    """Add an endpoint. The answer holds its signing secret: the only time it is shown."""
    with session.begin():
        row, secret = webhooks.add(session, rt.vault, url=body.url, events=list(body.events), secret=body.secret)
        return WebhookCreated(**webhook_out(row).model_dump(), secret=secret)


@router.delete("/webhooks/{webhook_id}", status_code=204, responses=_problems(404))
def delete_webhook(webhook_id: Id, session: SessionDep) -> None:
    with session.begin():
        webhooks.delete(session, webhook_id)


@router.get("/deliveries", response_model=Page[DeliveryOut])
def delivery_log(
    session: ReadSessionDep,
    webhook_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[DeliveryOut]:
    """Deliveries (e-mails and webhook calls) newest first, each with every try."""
    return deliveries.log_page(session, webhook_id=webhook_id, limit=limit, offset=offset)
