"""What notifications say, in Polish and English: the notification centre's lines and the job e-mails.

Kept apart from the dashboard's texts (`web/i18n.py`) because workers write e-mails and
know nothing of the web layer. The language is the user's own choice when they made one,
else the dashboard's (`pl` or `en`). Placeholders are `{name}`; values are plain text.
"""

from __future__ import annotations

from prestasync.contract import JobReport

LANGUAGES = ("en", "pl")
EVENTS = ("completed", "failed", "held", "cancelled")

EN = {
    "type.import": "Import",
    "type.export": "Export",
    "type.sync": "Sync",
    "type.file_import": "File import",
    "no_shop": "(no shop)",
    "event.completed": "completed",
    "event.failed": "failed",
    "event.held": "held for confirmation",
    "event.cancelled": "cancelled",
    "line.completed": "{type} · {shop}: completed, {processed} items, {failed} failed",
    "line.failed": "{type} · {shop}: failed: {error}",
    "line.held": "{type} · {shop}: held, waiting for your confirmation",
    "line.cancelled": "{type} · {shop}: cancelled",
    "mail.job": "Job #{id}: {type} · {shop}",
    "mail.counts": "Processed {processed} of {total}; failed: {failed}; skipped: {skipped}.",
    "mail.error": "Error: {error}",
    "mail.causes": "Most frequent causes of failure:",
    "mail.cause": "  {count} × {cause}",
    "mail.link": "Open the job: {link}",
    "mail.why": "You get this e-mail because job events are switched on in your notification settings: {link}",
}

PL = {
    "type.import": "Import",
    "type.export": "Eksport",
    "type.sync": "Synchronizacja",
    "type.file_import": "Import z pliku",
    "no_shop": "(bez sklepu)",
    "event.completed": "ukończone",
    "event.failed": "błąd",
    "event.held": "wstrzymane do potwierdzenia",
    "event.cancelled": "anulowane",
    "line.completed": "{type} · {shop}: ukończono, {processed} produktów, błędów: {failed}",
    "line.failed": "{type} · {shop}: błąd: {error}",
    "line.held": "{type} · {shop}: wstrzymane, czeka na Twoje potwierdzenie",
    "line.cancelled": "{type} · {shop}: anulowano",
    "mail.job": "Zadanie #{id}: {type} · {shop}",
    "mail.counts": "Przetworzono {processed} z {total}; błędów: {failed}; pominięto: {skipped}.",
    "mail.error": "Błąd: {error}",
    "mail.causes": "Najczęstsze przyczyny błędów:",
    "mail.cause": "  {count} × {cause}",
    "mail.link": "Otwórz zadanie: {link}",
    "mail.why": "Dostajesz tę wiadomość, bo w ustawieniach powiadomień włączono zdarzenia zadań: {link}",
}

TABLES = {"en": EN, "pl": PL}


def text(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang` (English when unknown) with `{name}` placeholders filled."""
    table = TABLES.get(lang, EN)
    out = table.get(key, EN.get(key, key))
    for name, value in values.items():
        out = out.replace("{" + name + "}", str(value))
    return out


def line(lang: str, *, event: str, type: str, shop: str, processed: int, failed: int, error: str | None) -> str:
    """One notification line: what happened to which job."""
    kind = text(lang, f"type.{type}") if f"type.{type}" in EN else type
    return text(
        lang,
        f"line.{event}",
        type=kind,
        shop=shop or text(lang, "no_shop"),
        processed=processed,
        failed=failed,
        error=error or "",
    )


def mail(lang: str, report: JobReport, settings_link: str) -> tuple[str, str]:
    """The subject and plain-text body of a job e-mail."""
    job = report.job
    summary = line(
        lang,
        event=report.event,
        type=job.type,
        shop=job.shop_name,
        processed=job.processed,
        failed=job.failed,
        error=job.error_message,
    )
    kind = text(lang, f"type.{job.type}") if f"type.{job.type}" in EN else job.type
    body = [
        summary,
        "",
        text(lang, "mail.job", id=job.id, type=kind, shop=job.shop_name or text(lang, "no_shop")),
        text(lang, "mail.counts", processed=job.processed, total=job.total, failed=job.failed, skipped=job.skipped),
    ]
    if job.error_message:
        body.append(text(lang, "mail.error", error=job.error_message))
    if report.top_causes:
        body += ["", text(lang, "mail.causes")]
        body += [text(lang, "mail.cause", count=g.count, cause=g.cause or "?") for g in report.top_causes]
    body += ["", text(lang, "mail.link", link=report.link), "", "--", text(lang, "mail.why", link=settings_link)]
    return f"prestasync: {summary}"[:200], "\n".join(body) + "\n"
