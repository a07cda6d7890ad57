"""`users …` and `tokens …`: dashboard accounts and API tokens for scripts."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from prestasync import accounts
from prestasync.cli.common import cells, runtime
from prestasync.contract import ID_MAX
from prestasync.errors import AccountError
from prestasync.models import User

users_app = typer.Typer(no_args_is_help=True, help="Dashboard users.")
tokens_app = typer.Typer(no_args_is_help=True, help="API tokens (Authorization: Bearer …) for scripts.")
out = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")


@users_app.command("set-password")
def set_password(
    username: str = typer.Argument(..., help="The user whose password to set."),
    create: bool = typer.Option(False, "--create", help="Create the user if it does not exist."),
) -> None:
    """Set a password, typed at a prompt (or read from stdin's first line when piped)."""
    if sys.stdin.isatty():
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    rt = runtime()
    with rt.session() as session, session.begin():
        user = accounts.set_password(session, username, password, create=create)
    out.print(f"password set for {user.username!r}; their open sessions are signed out")


@users_app.command("list")
def list_users() -> None:
    """List dashboard users."""
    rt = runtime()
    with rt.session() as session:
        table = Table("id", "username", "created")
        for user in session.query(User).order_by(User.id):
            table.add_row(*cells(user.id, user.username, user.created_at.isoformat(timespec="seconds")))
    out.print(table)


@tokens_app.command("create")
def create_token(
    name: str = typer.Option(..., "--name", help="What the token is for, e.g. `ci` or `backup-script`."),
    user: str = typer.Option("", "--user", help="The token acts as this user (default: the admin user)."),
) -> None:
    """Create a token and print it once on stdout (only its SHA-256 is stored)."""
    rt = runtime()
    accounts.ensure_admin(rt.engine, rt.settings)
    with rt.session() as session, session.begin():
        owner = accounts.find_user(session, user or rt.settings.admin_user)
        if owner is None:
            raise AccountError(f"no user named {user or rt.settings.admin_user!r}")
        row, plain = accounts.create_token(session, owner, name)
    err.print(f"token {row.id} ({row.name!r}) created for {owner.username!r}; it is shown only this once:")
    typer.echo(plain)


@tokens_app.command("list")
def list_tokens(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List tokens (never the tokens themselves)."""
    rt = runtime()
    with rt.session() as session:
        rows = [
            {
                "id": tok.id,
                "name": tok.name,
                "user_id": tok.user_id,
                "created_at": tok.created_at.isoformat(),
                "last_used_at": tok.last_used_at.isoformat() if tok.last_used_at else None,
            }
            for tok in accounts.list_tokens(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "name", "user", "created", "last used")
    for r in rows:
        table.add_row(*cells(r["id"], r["name"], r["user_id"], r["created_at"], r["last_used_at"] or "never"))
    out.print(table)


@tokens_app.command("revoke")
def revoke_token(
    token_id: int = typer.Argument(..., min=1, max=ID_MAX, help="The token's id (see `tokens list`)."),
) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    rt = runtime()
    with rt.session() as session, session.begin():
        accounts.revoke_token(session, token_id)
    out.print(f"token {token_id} revoked")
