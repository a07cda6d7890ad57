"""UI texts in Polish and English, and the choice between them.

The tables themselves are in `texts_en.py` and `texts_pl.py`; here is how they are read.

The language comes from the `lang` cookie (set by the switch in the page header, a
`?lang=` link) or else from the browser's Accept-Language. Templates and the page's
JavaScript read the same texts: the JS gets the whole table of the chosen language as
JSON, so a message is written once. Placeholders are `{name}`, filled in by `Texts.t`
in Python and by `t()` in `static/js/i18n.js`; values are plain text either way (Jinja
escapes them, the JS sets `textContent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prestasync.web.texts_en import EN as EN
from prestasync.web.texts_pl import PL as PL

LANGUAGES = ("pl", "en")
DEFAULT = "en"
COOKIE = "lang"
TERMINAL = ("completed", "failed", "cancelled")
OUTCOMES = ("created", "updated", "unchanged", "failed", "skipped")  # as the card lists them
# A dry run reads as what it is: a file import's is a check, an export's or a sync's a preview.
PREVIEW_KINDS = {"file_import": "file_check", "export": "export_preview", "sync": "sync_preview"}

TABLES = {"en": EN, "pl": PL}


@dataclass(frozen=True)
class Texts:
    """The texts of one language."""

    lang: str

    @property
    def table(self) -> dict[str, str]:
        return TABLES[self.lang]

    def t(self, key: str, **values: object) -> str:
        """The text for `key` with `{name}` placeholders filled; the key itself when unknown."""
        text = self.table.get(key, key)
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def duration(self, seconds: float | None) -> str:
        """`42 s`, `3 min 5 s`, `2 h 10 min`; empty when unknown."""
        if seconds is None:
            return ""
        s = int(round(seconds))
        if s < 60:
            return self.t("time.s", n=s)
        if s < 3600:
            return self.t("time.m", m=s // 60, s=s % 60)
        return self.t("time.h", h=s // 3600, m=s % 3600 // 60)

    @staticmethod
    def kind(job: dict[str, Any]) -> str:
        """The text family of a job: a dry run reads as a check or a preview, not as the real thing."""
        if job.get("preview") and job["type"] in PREVIEW_KINDS:
            return PREVIEW_KINDS[job["type"]]
        return str(job["type"])

    def subject(self, job: dict[str, Any]) -> str:
        """Who the job is with: its shop, or the file a file import reads."""
        fallback = "job.unnamed_file" if job["type"] == "file_import" else "job.shop_deleted"
        return str(job["shop_name"]) or self.t(fallback)

    def job(self, job: dict[str, Any]) -> dict[str, Any]:
        """How a job card reads (the job JSON in, texts and button states out).

        `static/js/cards.js` does the same for live updates; keep the two in step.
        """
        status, kind, failed = job["status"], self.kind(job), job["failed"]
        count = f"{job['processed']}/{job['total']}" if job["total"] > 0 else str(job["processed"])
        shop = self.subject(job)
        running = status == "running"
        return {
            "title": self.t(f"job.{status}.{kind}", count=count, shop=shop),
            "badge": self.t(f"status.{status}"),
            "errors": self.t(f"job.errors.{kind}", n=failed) if failed else "",
            "elapsed": self.t("job.elapsed", elapsed=self.duration(job["elapsed_s"])) if job["elapsed_s"] else "",
            "rate": self.t("job.rate", rate=job["rate_per_s"]) if running and job["rate_per_s"] else "",
            "eta": self.t("job.eta", eta=self.duration(job["eta_s"])) if running and job["eta_s"] else "",
            # The allowed actions come with the job (progress.allowed_actions): read, never re-derived.
            "can_cancel": "cancel" in job["actions"],
            "can_retry": "retry" in job["actions"],
            "can_retry_failed": "retry_failed" in job["actions"],
            "can_confirm": "confirm" in job["actions"],
            "can_apply": "apply" in job["actions"],
            "can_changes": self.has_changes(job),
            "step": self.step(job.get("step")),
            "outcomes": self.outcomes(job),
            "held": self.t("job.held_reason", reason=job.get("error_message") or "") if status == "held" else "",
        }

    @staticmethod
    def has_changes(job: dict[str, Any]) -> bool:
        """Whether the card offers the changes list: a plan waits (apply, confirm), or an export
        or sync wrote something. Not an action (it only reads), so not in `job.actions`."""
        if {"apply", "confirm"} & set(job["actions"]):
            return True
        written = job.get("created", 0) + job.get("updated", 0)
        return job["type"] in ("export", "sync") and job["status"] in TERMINAL and written > 0

    def step(self, step: dict[str, Any] | None) -> str:
        """The running job's sub-step (`images 3/7`), or empty."""
        if not step:
            return ""
        key = f"job.step.{step['phase']}"
        values = {"phase": step["phase"], "done": step["done"], "total": step["total"]}
        return self.t(key if key in self.table else "job.step", **values)

    def outcomes(self, job: dict[str, Any]) -> str:
        """The handled items by outcome (`new: 3 · updated: 5`), those with any; empty when none."""
        parts = [self.t(f"job.outcome.{name}", n=job.get(name, 0)) for name in OUTCOMES if job.get(name, 0)]
        return " · ".join(parts)


def parse_accept_language(header: str) -> list[str]:
    """Primary language tags from an Accept-Language header, best first (`q=0` dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, index, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(cookie: str | None, accept_language: str) -> str:
    """The cookie's language when valid, else the browser's best supported one, else English."""
    if cookie in LANGUAGES:
        return cookie
    for tag in parse_accept_language(accept_language):
        if tag in LANGUAGES:
            return tag
    return DEFAULT
