"""`shops …` and `products list`.

All but `shops test` work through a `Backend`, locally or against a remote server (see
backend.py). `shops test` needs the decrypted shop key, which only the server holds.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.table import Table

from prestasync import shops
from prestasync.cli.backend import backend, local_only
from prestasync.cli.common import cells, print_json_list, runtime, shown

shops_app = typer.Typer(no_args_is_help=True, help="Register and check shops.")
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
