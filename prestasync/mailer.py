"""Job e-mails over SMTP: `PRESTASYNC_SMTP_HOST/PORT/USER/PASSWORD/FROM/STARTTLS`.

One connection per message (job e-mails are few). STARTTLS is used when configured, and
the login only after it, so the password never crosses the network in the clear. The
password is never logged: errors are reported by their SMTP code and the server's text,
which cannot contain it.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from prestasync.config import Settings
from prestasync.models import ANSWER_MAX


@dataclass(frozen=True)
class Sent:
    """How sending went: an SMTP reply code (None without one) and a short explanation."""

    code: int | None
    text: str

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def send(settings: Settings, to: str, subject: str, body: str) -> Sent:
    """Send one plain-text message; never raises for the server or the network."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="prestasync")
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        return Sent(exc.smtp_code, _text(exc.smtp_error))
    except smtplib.SMTPRecipientsRefused as exc:
        code, reason = next(iter(exc.recipients.values()))
        return Sent(code, _text(reason))
    except (smtplib.SMTPException, OSError) as exc:
        return Sent(None, f"{type(exc).__name__}: {exc}"[:ANSWER_MAX])
    if refused:
        code, reason = next(iter(refused.values()))
        return Sent(code, _text(reason))
    return Sent(250, "accepted")


def _text(raw: bytes | str) -> str:
    return (raw.decode(errors="replace") if isinstance(raw, bytes) else raw)[:ANSWER_MAX]
