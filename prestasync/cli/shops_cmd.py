"""`shops …` and `products list`.

All but `shops test` work through a `Backend`, locally or against a remote server (see
backend.py). `shops test` needs the decrypted shop key, which only the server holds.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from prestasync import shops
from prestasync.cli.backend import backend, local_only
from prestasync.cli.common import cells, runtime

shops_app = typer.Typer(no_args_is_help=True, help="Register and check shops.")
products_app = typer.Typer(no_args_is_help=True, help="The product catalogue.")
out = Console(highlight=False, markup=False, soft_wrap=True)  # shop data is never markup


def register(app: typer.Typer) -> None:
    app.add_typer(shops_app, name="shops")
    app.add_typer(products_app, name="products")


@shops_app.command("add")
def add(
    name: str = typer.Option(..., help="A name to refer to the shop by."),
    url: str = typer.Option(..., help="The shop base URL; /api/ is appended."),
    key: str = typer.Option(..., help="The 32-character webservice key (stored encrypted)."),
) -> None:
    """Register a shop."""
    shop = backend().add_shop(name, url, key)
    out.print(f"shop {shop['name']!r} added (id {shop['id']}); check it with: prestasync shops test {shop['name']!r}")


@shops_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List registered shops (never their keys)."""
    rows = backend().list_shops()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "name", "url", "synced until")
    for r in rows:
        table.add_row(*cells(r["id"], r["name"], r["url"], r["synced_until"] or "never"))
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
    limit: int = typer.Option(50, min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List catalogue products with their per-shop sync status."""
    rows = backend().search_products(search, limit)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table("sku", "name", "price", "qty", "active", "shops")
    for r in rows:
        names = r["name"]
        name = next(iter(names.values()), "") if isinstance(names, dict) else ""
        status = ", ".join(f"{s['shop_id']}:{s['status']}" for s in r["shops"]) or "never"
        table.add_row(*cells(r["sku"], name, r["price"], r["quantity"], "yes" if r["active"] else "no", status))
    out.print(table)
