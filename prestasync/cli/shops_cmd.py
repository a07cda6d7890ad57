"""`shops …` and `products list`.

All but `shops test` work through a `Backend`, locally or against a remote server (see
backend.py; `show`, `edit` and `remove` through shops_backend.py). `shops test` needs the
decrypted shop key, which only the server holds. `edit` checks its values here, with the
rules of `shops.py`, before anything is sent, so a bad value exits 2 in both modes.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.table import Table

from prestasync import shops
from prestasync.cli.common import cells, print_json, print_json_list, runtime, shown
from prestasync.cli.mode import backend, local_only
from prestasync.cli.shops_backend import shops_backend
from prestasync.contract import ID_MAX, ShopOut
from prestasync.errors import InvalidInput, ShopError

shops_app = typer.Typer(no_args_is_help=True, help="Register, check, change and remove shops.")
products_app = typer.Typer(no_args_is_help=True, help="The product catalogue.")
out = Console(highlight=False, markup=False, soft_wrap=True)  # shop data is never markup


def register(app: typer.Typer) -> None:
    app.add_typer(shops_app, name="shops")
    app.add_typer(products_app, name="products")


KEY_ENV = "PRESTASYNC_SHOP_KEY"


@shops_app.command("add")
def add(
    name: str = typer.Option(..., help="A name to refer to the shop by."),
    url: str = typer.Option(..., help="The shop base URL; /api/ is appended."),
    key: str = typer.Option(
        "", help=f"The webservice key. Better: leave it out and type it at the prompt, pipe it in, or set {KEY_ENV}."
    ),
) -> None:
    """Register a shop. The key is asked for at a prompt (or read from stdin or $PRESTASYNC_SHOP_KEY)."""
    shop = backend().add_shop(name, url, _key(key))
    out.print(f"shop {shop.name!r} added (id {shop.id}); check it with: prestasync shops test {shop.name!r}")
    if key:  # after the outcome, so a refusal stays one `error:` line
        sys.stderr.write(f"warning: --key shows the key in shell history and `ps`; use {KEY_ENV} or the prompt\n")


def _key(flag: str) -> str:
    """The key from the flag (with a warning: it shows in `ps` and shell history), the
    environment, a hidden prompt, or the first line of piped standard input, in that order."""
    if flag:
        return flag
    if os.environ.get(KEY_ENV, "").strip():
        return os.environ[KEY_ENV].strip()
    if sys.stdin.isatty():
        return str(typer.prompt("Webservice key", hide_input=True))
    return sys.stdin.readline().strip()


@shops_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Every shop as a JSON array.")) -> None:
    """List registered shops (never their keys)."""
    rows = backend().list_shops()
    if as_json:
        print_json_list(rows)
        return
    table = Table("id", "name", "url", "synced until")
    for r in rows:
        table.add_row(*cells(r.id, r.name, r.url, r.synced_until or "never"))
    out.print(table)


@shops_app.command("test")
def test(name: str = typer.Argument(..., help="The shop's name.")) -> None:
    """Check the key and that the shop answers (on the server only)."""
    local_only("shops test")
    rt = runtime()
    with rt.session() as session:
        shop = shops.find_shop(session, name)
    with rt.connect(shop) as client:
        info = client.check()
        languages = client.languages()
    langs = ", ".join(f"{lang.iso_code} ({lang.id})" for lang in languages)
    out.print(f"ok: {shop.name!r} answers as {info.shop_name!r}, PrestaShop {info.version or '?'}; languages: {langs}")


SHOP_ID = typer.Argument(..., min=1, max=ID_MAX, metavar="ID", help="The shop's id (see `shops list`).")
AUTO = "auto"


@shops_app.command("show")
def show(
    shop_id: int = SHOP_ID, as_json: bool = typer.Option(False, "--json", help="The shop as JSON (never its key).")
) -> None:
    """One shop with its settings: the change guard, the default tax group, the fallback language."""
    shop = shops_backend().get_shop(shop_id)
    if as_json:
        print_json(shop)
        return
    for label, value in _settings(shop):  # lines, not a table: a long value is not wrapped mid-word
        out.print(f"{label + ':':<19}{value}")


def _settings(shop: ShopOut) -> list[tuple[str, object]]:
    guard = (
        f"on: holds an export that zeroes the stock of more than {shop.guard_share_pct} % of the products, "
        f"or moves the price of more than {shop.guard_share_pct} % of them by over {shop.guard_price_pct} %"
        if shop.guard_enabled
        else "off: exports are never held"
    )
    return [
        ("id", shop.id),
        ("name", shop.name),
        ("url", shop.url),
        ("synced until", shop.synced_until or "never"),
        ("change guard", guard),
        ("guard share", f"{shop.guard_share_pct} %"),
        ("guard price", f"{shop.guard_price_pct} %"),
        ("tax rules group", shop.default_tax_group or "automatic (the shop's lowest active group)"),
        ("fallback language", shop.fallback_language or "automatic (the shop's default, else en)"),
        ("created", shop.created_at),
        ("updated", shop.updated_at),
    ]


@shops_app.command("edit")
def edit(
    shop_id: int = SHOP_ID,
    name: str | None = typer.Option(None, help="A new name."),
    url: str | None = typer.Option(None, help="A new base URL; /api/ is appended."),
    key_stdin: bool = typer.Option(False, "--key-stdin", help="A new webservice key: the first line of stdin."),
    key_env: str | None = typer.Option(None, "--key-env", metavar="VAR", help="A new webservice key: from $VAR."),
    guard: bool | None = typer.Option(None, "--guard/--no-guard", help="Turn the change guard on or off."),
    guard_share: int | None = typer.Option(
        None, min=1, max=shops.SHARE_PCT_MAX, metavar="PCT", help="Hold when more than PCT % of products change."
    ),
    guard_price: int | None = typer.Option(
        None, min=1, max=shops.PRICE_PCT_MAX, metavar="PCT", help="A price moving by more than PCT % counts."
    ),
    tax_group: str | None = typer.Option(None, metavar="ID|auto", help="The shop's default tax rules group id."),
    fallback_language: str | None = typer.Option(None, metavar="CODE|auto", help="e.g. en; auto: the shop's default."),
) -> None:
    """Change a shop: only what is given changes. The key is never taken as an argument."""
    changes: dict[str, object] = {
        field: value
        for field, value in (
            ("name", name),
            ("url", url),
            ("key", _new_key(key_stdin, key_env)),
            ("guard_enabled", guard),
            ("guard_share_pct", guard_share),
            ("guard_price_pct", guard_price),
        )
        if value is not None
    }
    if tax_group is not None:
        changes["default_tax_group"] = None if tax_group.strip().lower() == AUTO else shops.number_from_text(tax_group)
    if fallback_language is not None:
        changes["fallback_language"] = None if fallback_language.strip().lower() == AUTO else fallback_language
    if not changes:
        raise InvalidInput("nothing to change; see `prestasync shops edit --help`")
    shops.check_changes(changes)  # exit 2 on a bad value, before anything is sent
    shop = shops_backend().edit_shop(shop_id, changes)
    out.print(f"shop {shop.name!r} (id {shop.id}) saved: {', '.join(sorted(changes))}")


def _new_key(from_stdin: bool, env: str | None) -> str | None:
    if from_stdin and env is not None:
        raise ShopError("give the new key one way: --key-stdin or --key-env, not both")
    if env is not None:
        if not os.environ.get(env, "").strip():
            raise ShopError(f"environment variable {env[:64]!r} is not set or is empty")
        return os.environ[env].strip()
    return sys.stdin.readline().strip() if from_stdin else None


@shops_app.command("remove")
def remove(shop_id: int = SHOP_ID, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask first.")) -> None:
    """Remove a shop with its product bindings, links and schedules. Its jobs stay in the history
    under its name. Refused while the shop has a pending, running or held job."""
    be = shops_backend()
    shop = be.get_shop(shop_id)
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput(f"not removed: add --yes to remove shop {shop.name!r} without being asked")
        typer.confirm(f"Remove shop {shop.name!r} (id {shop.id})? Its jobs stay in the history", abort=True)
    be.remove_shop(shop_id)
    out.print(f"shop {shop.name!r} (id {shop.id}) removed; its jobs stay in the history")


@products_app.command("list")
def products(
    search: str = typer.Option("", "--search", help="Part of a SKU or name."),
    limit: int = typer.Option(None, min=1, max=10_000_000, help="At most this many (table: 50; --json: all)."),
    as_json: bool = typer.Option(False, "--json", help="Every matching product as a JSON array, unless --limit."),
) -> None:
    """List catalogue products with their per-shop sync status."""
    listing = backend().products(search, limit if limit or as_json else 50)
    if as_json:
        print_json_list(listing.items)  # streamed: the whole catalogue in constant memory
        return
    table = Table("sku", "name", "price", "qty", "active", "shops")
    count = 0
    for r in listing.items:
        name = next(iter(r.name.values()), "")
        status = ", ".join(f"{s.shop_id}:{s.status}" for s in r.shops) or "never"
        table.add_row(*cells(r.sku, name, r.price, r.quantity, "yes" if r.active else "no", status))
        count += 1
    out.print(table)
    if note := shown(count, listing.total):
        out.print(note)
