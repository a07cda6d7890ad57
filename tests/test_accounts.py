"""Accounts: password hashing, the first admin, API tokens, and their CLI commands."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from prestasync import accounts
from prestasync.cli import app as cli
from prestasync.config import Settings
from prestasync.errors import AccountError, NotFoundError
from prestasync.models import ApiToken, User


def test_a_password_hash_round_trips_and_is_salted() -> None:
    first, second = accounts.hash_password("hunter22!"), accounts.hash_password("hunter22!")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert accounts.verify_password("hunter22!", first)
    assert accounts.verify_password("hunter22!", second)


@pytest.mark.parametrize("stored", ["", "scrypt$1$2", "bcrypt$x$y$z$a$b", "scrypt$16384$8$1$!!$!!"])
def test_a_wrong_password_or_a_malformed_hash_never_verifies(stored: str) -> None:
    assert not accounts.verify_password("hunter22!", accounts.hash_password("hunter23!"))
    assert not accounts.verify_password("hunter22!", stored)


def test_authenticate_checks_name_and_password(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        accounts.create_user(session, "ola", "a long password")
    with Session(sqlite_engine) as session:
        user = accounts.authenticate(session, "ola", "a long password")
        assert user is not None and user.username == "ola"
        assert accounts.authenticate(session, "ola", "wrong password") is None
        assert accounts.authenticate(session, "nobody", "a long password") is None


def test_users_are_unique_and_passwords_long_enough(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        accounts.create_user(session, "ola", "a long password")
    with pytest.raises(AccountError, match="at least 8"):
        with Session(sqlite_engine) as session, session.begin():
            accounts.create_user(session, "ela", "short")
    with pytest.raises(AccountError, match="already exists"):
        with Session(sqlite_engine) as session, session.begin():
            accounts.create_user(session, "ola", "another long one")


def test_changing_a_password_changes_the_session_fingerprint(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        before = accounts.fingerprint(accounts.create_user(session, "ola", "a long password"))
    with Session(sqlite_engine) as session, session.begin():
        after = accounts.fingerprint(accounts.set_password(session, "ola", "a new long password"))
    assert before != after
    with pytest.raises(NotFoundError, match="no user"):
        with Session(sqlite_engine) as session, session.begin():
            accounts.set_password(session, "nobody", "a new long password")


def test_the_first_admin_gets_the_configured_password(sqlite_engine: Engine, settings: Settings) -> None:
    configured = settings.model_copy(update={"admin_password": "configured pw"})
    assert accounts.ensure_admin(sqlite_engine, configured) is None
    assert not (Path(settings.data_dir) / accounts.PASSWORD_FILE).exists()
    with Session(sqlite_engine) as session:
        assert accounts.authenticate(session, "admin", "configured pw") is not None


def test_the_first_admin_gets_a_generated_password_shown_once(
    sqlite_engine: Engine, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = accounts.ensure_admin(sqlite_engine, settings)
    assert generated and len(generated) >= 12
    assert generated in capsys.readouterr().err
    saved = Path(settings.data_dir) / accounts.PASSWORD_FILE
    assert saved.read_text().split() == ["admin", generated]
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert accounts.ensure_admin(sqlite_engine, settings) is None  # once only
    assert capsys.readouterr().err == ""
    with Session(sqlite_engine) as session:
        assert accounts.authenticate(session, "admin", generated) is not None


def test_a_token_verifies_until_revoked(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        user = accounts.create_user(session, "ola", "a long password")
        row, plain = accounts.create_token(session, user, "ci")
        user_id, token_id = user.id, row.id
    assert plain.startswith("pst_") and len(plain) > 40
    with Session(sqlite_engine) as session:
        stored = session.execute(select(ApiToken.token_hash)).scalar_one()
        assert plain not in stored
        principal = accounts.verify_token(session, plain)
        assert principal == accounts.Principal(user_id, "ola", "token", token_id)
        assert accounts.verify_token(session, plain + "x") is None
        assert accounts.verify_token(session, "not-a-token") is None
    with Session(sqlite_engine) as session, session.begin():
        accounts.touch_token(session, token_id)
    with Session(sqlite_engine) as session, session.begin():
        assert accounts.list_tokens(session)[0].last_used_at is not None
        accounts.revoke_token(session, token_id)
    with Session(sqlite_engine) as session:
        assert accounts.verify_token(session, plain) is None
    with pytest.raises(NotFoundError), Session(sqlite_engine) as session, session.begin():
        accounts.revoke_token(session, token_id)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    data = tmp_path / "cli-data"
    monkeypatch.setenv("PRESTASYNC_DATA_DIR", str(data))
    monkeypatch.setenv("PRESTASYNC_ADMIN_PASSWORD", "first password")
    monkeypatch.delenv("PRESTASYNC_DATABASE_URL", raising=False)
    monkeypatch.delenv("PRESTASYNC_SECRET_KEY", raising=False)
    return data


def test_the_cli_creates_lists_and_revokes_tokens(cli_env: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["tokens", "create", "--name", "backup"])
    assert created.exit_code == 0, created.output
    plain = created.stdout.strip().splitlines()[-1]
    assert plain.startswith("pst_")
    listed = runner.invoke(cli, ["tokens", "list", "--json"])
    assert '"name": "backup"' in listed.stdout and plain not in listed.stdout
    assert runner.invoke(cli, ["tokens", "revoke", "1"]).exit_code == 0
    assert runner.invoke(cli, ["tokens", "list", "--json"]).stdout.strip() == "[]"


def test_the_cli_sets_a_password_from_stdin(cli_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["tokens", "create", "--name", "x"]).exit_code == 0  # creates the admin
    done = runner.invoke(cli, ["users", "set-password", "admin"], input="second password\n")
    assert done.exit_code == 0, done.output
    from prestasync.db import make_engine

    engine = make_engine(f"sqlite:///{cli_env / 'prestasync.db'}")
    with Session(engine) as session:
        assert accounts.authenticate(session, "admin", "second password") is not None
        assert session.execute(select(User.username)).scalars().all() == ["admin"]
    engine.dispose()
    refused = runner.invoke(cli, ["users", "set-password", "admin"], input="short\n")
    assert refused.exit_code != 0
