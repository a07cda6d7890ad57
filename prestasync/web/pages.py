"""The dashboard's HTML pages: sign-in, products, the sync centre and shops.

Pages are rendered on the server with Jinja2 (autoescaped: every shop name, SKU and
error message is text) and then kept live by `static/js`, which reads the job JSON from
the event stream. Reads use the read-only engine so a page never waits behind job
writers on SQLite. Pages are sent with a strict Content-Security-Policy: scripts and
styles only from `/static`, no inline code.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from prestasync import accounts, catalogue, profiles, queries, shops, stats
from prestasync.contract import ID_MAX, job_out, money, shop_out
from prestasync.errors import JobNotFound, PrestasyncError, VaultError
from prestasync.models import Binding, Job, Product, Shop
from prestasync.prestashop import PrestaShopError
from prestasync.progress import JobType
from prestasync.runtime import Runtime
from prestasync.web import auth
from prestasync.web.auth import CurrentUser
from prestasync.web.deps import RuntimeDep
from prestasync.web.errors import status_for
from prestasync.web.i18n import COOKIE, LANGUAGES, Texts, choose_language
from prestasync.web.loop_api import schedules_context

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=FilePath(__file__).parent / "templates")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_SIZE = 50
JOBS_PER_PAGE = 20
STATUS_FILTERS = ("active", "all", "held", "completed", "failed", "cancelled")
TextField = Annotated[str, Form(max_length=500)]
PageShopId = Annotated[int, Path(ge=1, le=ID_MAX)]


def language(request: Request) -> str:
    """`?lang=` (the switch), else the `lang` cookie, else Accept-Language."""
    chosen = request.query_params.get("lang") or request.cookies.get(COOKIE)
    return choose_language(chosen, request.headers.get("accept-language", ""))


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A page in the visitor's language, with the shared context every template uses."""
    chosen = request.query_params.get("lang")
    texts = Texts(language(request))
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    principal = getattr(request.state, "principal", None)
    shared = {
        "t": texts.t,
        "lang": texts.lang,
        "texts": texts.table,
        "lang_links": {code: "?" + urlencode({**query, "lang": code}) for code in LANGUAGES},
        "csrf": auth.csrf_token(request),
        "user": principal,
        "flash": request.session.pop("flash", None),
        "job_view": texts.job,
        "duration": texts.duration,
    }
    response = templates.TemplateResponse(request, template, {**shared, **context}, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    if chosen in LANGUAGES:
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return response


def _reader(request: Request) -> Engine:
    engine: Engine = request.app.state.reader
    return engine


def _flash(request: Request, kind: str, key: str, **values: object) -> None:
    request.session["flash"] = {"kind": kind, "key": key, "values": {k: str(v) for k, v in values.items()}}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in; anything else (other hosts, `//evil`) goes home."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/products"
    return target


@router.get("/login")
def login_form(request: Request, next: str = Query("", max_length=2000)) -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_model=None)
def login(
    request: Request, username: TextField, password: TextField, csrf_token: TextField = "", next: TextField = ""
) -> Response:
    """Check the form's CSRF token and the password; per-address backoff after failures."""
    address = request.client.host if request.client else "?"
    limiter: auth.LoginLimiter = request.app.state.login_limiter
    context: dict[str, Any] = {"next": safe_next(next), "username": username}
    if not auth.csrf_matches(request.session, csrf_token):
        return render(request, "login.html", {**context, "error": ("login.csrf", {})}, 403)
    wait = limiter.wait_s(address)
    if wait > 0:
        return render(request, "login.html", {**context, "error": ("login.throttled", {"seconds": int(wait) + 1})}, 429)
    with Session(_reader(request)) as session:
        user = accounts.authenticate(session, username, password)
    if user is None:
        limiter.failed(address)
        return render(request, "login.html", {**context, "error": ("login.failed", {})}, 401)
    limiter.succeeded(address)
    auth.start_session(request, user)
    return _redirect(safe_next(next))


@router.post("/logout")
def logout(request: Request, principal: CurrentUser) -> RedirectResponse:
    auth.end_session(request)
    return _redirect("/login")


@router.get("/")
def home(principal: CurrentUser) -> RedirectResponse:
    return _redirect("/products")


@router.get("/products")
def products_page(
    request: Request,
    principal: CurrentUser,
    search: str = Query("", max_length=200),
    offset: int = Query(0, ge=0),
) -> HTMLResponse:
    """The catalogue with its per-shop sync state, and the active jobs on top."""
    with Session(_reader(request)) as session:
        shop_list = shops.list_shops(session)
        found = catalogue.search(session, text=search, limit=PAGE_SIZE + 1, offset=offset)
        page = found[:PAGE_SIZE]
        links = catalogue.bindings_for(session, [p.id for p in page])
        active = [_json(j) for j in queries.list_jobs(session, queries.JobFilter(status="active", limit=50))]
        profile_names = [p.name for p in profiles.list_profiles(session)]
    rows = [_product_row(p, links.get(p.id, []), shop_list, language(request)) for p in page]
    context = {
        "page": "products",
        "shops": shop_list,
        "rows": rows,
        "search": search,
        "jobs": active,
        "profiles": profile_names,
        "prev_offset": max(0, offset - PAGE_SIZE) if offset else None,
        "next_offset": offset + PAGE_SIZE if len(found) > PAGE_SIZE else None,
        "last_event_id": request.app.state.broadcaster.last_id,
    }
    return render(request, "products.html", context)


def _json(job: Job) -> dict[str, Any]:
    return job_out(job).model_dump(mode="json")


def _product_row(product: Product, bindings: list[Binding], shop_list: list[Shop], lang: str) -> dict[str, Any]:
    names = product.name or {}
    by_shop = {b.shop_id: b for b in bindings}
    sync = []
    for shop in shop_list:
        binding = by_shop.get(shop.id)
        status = binding.last_status if binding else "never"
        sync.append({"shop": shop.name, "status": status, "error": binding.last_error if binding else None})
    return {
        "id": product.id,
        "sku": product.sku,
        "name": names.get(lang) or names.get("en") or next(iter(names.values()), ""),
        "price": money(product.price),
        "quantity": product.quantity,
        "active": product.active,
        "sync": sync,
    }


@router.get("/shops/sync")
def sync_centre(
    request: Request,
    principal: CurrentUser,
    status: str = Query("all", max_length=20),
    shop: str = Query("", max_length=20),
    type: str = Query("", max_length=20),
    page: int = Query(1, ge=1, le=100_000),
    days: int = Query(7),
    job: int | None = None,
) -> HTMLResponse:
    """Every job with filters and history, one job picked out (`?job=`), and per-shop statistics."""
    status = status if status in STATUS_FILTERS else "all"
    kind = type if type in {t.value for t in JobType} else None
    shop_id = int(shop) if shop.isdigit() else None
    days = 30 if days == 30 else 7
    offset = (page - 1) * JOBS_PER_PAGE
    flt = queries.JobFilter(None if status == "all" else status, shop_id, kind, limit=JOBS_PER_PAGE, offset=offset)
    with Session(_reader(request)) as session:
        listed = [_json(j) for j in queries.list_jobs(session, flt)]
        total = queries.count_jobs(session, flt)
        picked = _picked(session, job)
        shop_list = shops.list_shops(session)
        stats = [_shop_stats(session, s, days) for s in shop_list]
        planned = schedules_context(session)
    pages = max(1, -(-total // JOBS_PER_PAGE))
    filters = {"status": status, "shop": shop if shop_id else "", "type": kind or ""}
    report = {"status": "" if status == "all" else status, "shop_id": shop_id or "", "type": kind or ""}
    report_query = urlencode({k: v for k, v in report.items() if v})
    context = {
        "page": "sync",
        "jobs": ([picked] if picked else []) + [j for j in listed if not picked or j["id"] != picked["id"]],
        "picked_id": picked["id"] if picked else None,
        "filters": filters,
        "report_query": "?" + report_query if report_query else "",
        "status_filters": STATUS_FILTERS,
        "shops": shop_list,
        "page_no": min(page, pages),
        "pages": pages,
        "page_link": lambda n: "?" + urlencode({**filters, "days": days, "page": n}),
        "days_link": lambda d: "?" + urlencode({**filters, "page": page, "days": d}),
        "days": days,
        "stats": stats,
        "schedules": planned,
        "last_event_id": request.app.state.broadcaster.last_id,
    }
    return render(request, "sync.html", context)


def _picked(session: Session, job_id: int | None) -> dict[str, Any] | None:
    if job_id is None:
        return None
    try:
        return _json(queries.get_job(session, job_id))
    except JobNotFound:
        return None


def _shop_stats(session: Session, shop: Shop, days: int) -> dict[str, Any]:
    return {
        "shop": shop,
        "summary": stats.shop_stats(session, shop.id, days).model_dump(mode="json"),
        "chart": chart([d.model_dump(mode="json") for d in stats.daily_stats(session, shop.id, days)]),
    }


CHART_W, CHART_H = 280.0, 64.0


def chart(series: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of a small stacked bar chart (one bar a day) for an inline SVG."""
    peak = max([d["jobs"] for d in series] + [1])
    slot = CHART_W / max(len(series), 1)
    width = max(slot * 0.7, 1.0)
    bars = []
    for i, day in enumerate(series):
        x, top, rects = i * slot + (slot - width) / 2, CHART_H, []
        for kind in ("completed", "failed", "cancelled"):
            height = day[kind] / peak * CHART_H
            if height:
                top -= height
                rects.append(
                    {"kind": kind, "x": round(x, 2), "y": round(top, 2), "w": round(width, 2), "h": round(height, 2)}
                )
        bars.append({"day": day, "rects": rects})
    return {"w": CHART_W, "h": CHART_H, "bars": bars, "peak": peak}


@router.get("/shops")
def shops_page(request: Request, principal: CurrentUser) -> HTMLResponse:
    return _shops(request, {})


def _shops(request: Request, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    with Session(_reader(request)) as session:
        shop_list = [shop_out(s).model_dump(mode="json") for s in shops.list_shops(session)]
        planned = schedules_context(session)
    context = {"page": "shops", "shops": shop_list, "form": {}, "schedules": planned, **context}
    return render(request, "shops.html", context, status)


@router.post("/shops", response_model=None)
def add_shop(
    request: Request, rt: RuntimeDep, principal: CurrentUser, name: TextField, url: TextField, key: TextField
) -> Response:
    try:
        with rt.session() as session, session.begin():
            shop = shops.add_shop(session, rt.vault, name=name, url=url, key=key)
    except PrestasyncError as exc:
        # The key is not sent back: a mistyped key is typed again rather than shown.
        return _shops(request, {"error": str(exc), "form": {"name": name, "url": url}}, 422)
    _flash(request, "ok", "shops.added", shop=shop.name)
    return _redirect("/shops")


@router.post("/shops/{shop_id}", response_model=None)
def edit_shop(
    request: Request,
    rt: RuntimeDep,
    principal: CurrentUser,
    shop_id: PageShopId,
    name: TextField,
    url: TextField,
    key: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Change a shop; an empty key field keeps the stored key."""
    changes = {"name": name, "url": url, **({"key": key} if key.strip() else {})}
    return _change_shop(request, rt, shop_id, changes, "shops.saved")


@router.post("/shops/{shop_id}/settings", response_model=None)
def shop_settings(
    request: Request,
    rt: RuntimeDep,
    principal: CurrentUser,
    shop_id: PageShopId,
    guard_share_pct: TextField,
    guard_price_pct: TextField,
    guard_enabled: TextField = "",
    default_tax_group: TextField = "",
    fallback_language: TextField = "",
) -> Response:
    """The change guard and the export defaults; an empty tax group or language means automatic.
    An unticked checkbox is not sent, so a missing `guard_enabled` turns the guard off."""
    changes = {
        "guard_enabled": guard_enabled == "on",
        "guard_share_pct": shops.number_from_text(guard_share_pct),
        "guard_price_pct": shops.number_from_text(guard_price_pct),
        "default_tax_group": shops.number_from_text(default_tax_group) if default_tax_group.strip() else None,
        "fallback_language": fallback_language.strip() or None,
    }
    return _change_shop(request, rt, shop_id, changes, "shops.settings_saved")


def _change_shop(request: Request, rt: Runtime, shop_id: int, changes: Mapping[str, object], done: str) -> Response:
    try:
        with rt.session() as session, session.begin():
            shop = shops.update_shop(session, rt.vault, shops.get_shop(session, shop_id), changes)
    except PrestasyncError as exc:
        return _shops(request, {"error": str(exc), "editing": shop_id}, status_for(exc))
    _flash(request, "ok", done, shop=shop.name)
    return _redirect("/shops")


@router.post("/shops/{shop_id}/delete", response_model=None)
def delete_shop(request: Request, rt: RuntimeDep, principal: CurrentUser, shop_id: PageShopId) -> Response:
    try:
        with rt.session() as session, session.begin():
            shop = shops.get_shop(session, shop_id)
            name = shop.name
            shops.delete_shop(session, shop)
    except PrestasyncError as exc:
        return _shops(request, {"error": str(exc)}, status_for(exc))
    _flash(request, "ok", "shops.deleted", shop=name)
    return _redirect("/shops")


@router.post("/shops/{shop_id}/test", response_model=None)
def test_shop(request: Request, rt: RuntimeDep, principal: CurrentUser, shop_id: PageShopId) -> Response:
    """Check the key and that the shop answers; the outcome is shown on the shops page."""
    with rt.session() as session:
        try:
            shop = shops.get_shop(session, shop_id)
        except shops.ShopNotFound as exc:
            return _shops(request, {"error": str(exc)}, 404)
    try:
        with rt.connect(shop) as client:
            info = client.check()
    except (PrestaShopError, VaultError) as exc:
        _flash(request, "error", "shops.test_failed", shop=shop.name, error=exc)
    else:
        _flash(request, "ok", "shops.test_ok", shop=shop.name, name=info.shop_name, version=info.version or "?")
    return _redirect("/shops")
