"""The `prestasync` command line. Each command builds the settings and runtime it needs.

Errors a user can cause (unknown shop, bad URL, bad date, a refused action, a shop or a
remote server that is down, a refused API token) end the command with one line on stderr
and exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import logging
import sys

import typer
from sqlalchemy.exc import OperationalError

from prestasync.cli import accounts_cmd, jobs_cmd, run_cmd, shops_cmd
from prestasync.cli.backend import RemoteError
from prestasync.control import ControlError
from prestasync.jobs import JobNotFound
from prestasync.prestashop import PrestaShopError
from prestasync.progress import InvalidTransition
from prestasync.shops import ShopError
from prestasync.vault import VaultError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Bulk PrestaShop import/export/sync, tracked live.")
run_cmd.register(app)
jobs_cmd.register(app)
shops_cmd.register(app)
accounts_cmd.register(app)

USER_ERRORS = (
    ShopError,
    ControlError,
    JobNotFound,
    InvalidTransition,
    PrestaShopError,
    VaultError,
    RemoteError,
    ValueError,
)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "huey", "huey.consumer", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        code = app(standalone_mode=False)  # returns typer.Exit codes instead of raising them
    except USER_ERRORS as exc:
        _die(str(exc))
    except OperationalError as exc:
        _die(f"database unavailable: {exc.orig}")
    except (typer.Abort, KeyboardInterrupt):
        _die("aborted", code=130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def _die(message: str, code: int = 1) -> None:
    sys.stderr.write(f"error: {message.splitlines()[0] if message else 'failed'}\n")
    sys.exit(code)
