"""The `prestasync` command line. Each command builds the settings and runtime it needs.

One table maps the error tree (`prestasync/errors.py`) to what a person sees: one
`error: …` line on stderr and an exit code: 2 for usage errors and invalid input, 1 for
everything else a user or the environment can cause (unknown job, refused action, a shop
or a remote server that is down, a database that cannot be reached). Anything not in the
table is a bug and ends with its traceback, never dressed up as a user error.
"""

from __future__ import annotations

import logging
import sys

import typer
from sqlalchemy.exc import OperationalError

from prestasync.cli import accounts_cmd, catalogue_cmd, jobs_cmd, loop_cmd, run_cmd, shops_cmd
from prestasync.errors import InvalidInput, PrestasyncError
from prestasync.prestashop import PrestaShopError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # a bug prints a plain traceback; user errors go through EXIT_CODES
    help="Bulk PrestaShop import/export/sync, tracked live.",
)
run_cmd.register(app)
jobs_cmd.register(app)
shops_cmd.register(app)
accounts_cmd.register(app)
catalogue_cmd.register(app)
loop_cmd.register(app)

EXIT_CODES: dict[type[Exception], int] = {
    InvalidInput: 2,
    PrestasyncError: 1,
    PrestaShopError: 1,
}


def exit_code(exc: Exception) -> int | None:
    """The exit code for `exc`'s nearest branch in `EXIT_CODES`; None for a bug."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return None


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "huey", "huey.consumer", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        code = app(standalone_mode=False)  # returns typer.Exit codes instead of raising them
    except (PrestasyncError, PrestaShopError) as exc:
        _die(str(exc), exit_code(exc) or 1)
    except OperationalError as exc:
        _die(f"database unavailable: {exc.orig}")
    except typer.TyperException as exc:  # usage errors: bad option, bad value, missing argument
        _usage(exc)
    except (typer.Abort, KeyboardInterrupt):
        _die("aborted", code=130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def _usage(exc: typer.TyperException) -> None:
    """Click's usage message (usage line, hint, `Error: …`) and its exit code, 2.

    Typer runs on its own copy of click (`typer._click`), whose exceptions are not the
    `click` package's: catching `click.ClickException` here let every usage error escape
    as a traceback with exit 1.
    """
    show = getattr(exc, "show", None)
    if callable(show):
        show()
    else:
        sys.stderr.write(f"error: {exc.format_message()}\n")
    sys.exit(exc.exit_code)


def _die(message: str, code: int = 1) -> None:
    sys.stderr.write(f"error: {message.splitlines()[0] if message else 'failed'}\n")
    sys.exit(code)
