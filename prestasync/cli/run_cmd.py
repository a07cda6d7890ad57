"""Long-running commands: `serve`, `worker`, `demo`, `emulator`, and `db upgrade`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import func, select

from prestasync import shops
from prestasync.cli.common import runtime
from prestasync.config import Settings, load_settings
from prestasync.models import Product, Shop, utcnow
from prestasync.runtime import Runtime
from prestasync.worker import run_worker

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
out = Console(highlight=False, markup=False, soft_wrap=True)

DEMO_SHOPS = (
    # name, mount prefix, key, languages (id, iso, name), broken records
    ("Demo PL", "pl", "DEMOPLKEY" + "0" * 23, [(1, "pl", "Polski"), (2, "en", "English")]),
    ("Demo EN", "en", "DEMOENKEY" + "0" * 23, [(1, "en", "English"), (2, "pl", "Polski")]),
)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("demo")(demo)
    app.command("emulator")(emulator)
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade() -> None:
    """Create or upgrade the database schema."""
    rt = Runtime(load_settings())
    rt.migrate()
    out.print("database schema is up to date")


def worker(
    concurrency: int = typer.Option(0, min=0, help="Worker threads (default: PRESTASYNC_WORKER_CONCURRENCY)."),
    no_periodic: bool = typer.Option(
        False, "--no-periodic", help="Do not run the reaper, cleanup, schedules and notifications here."
    ),
    metrics_port: int = typer.Option(
        -1,
        min=-1,
        max=65535,
        help="Serve this worker's /metrics here (default: PRESTASYNC_WORKER_METRICS_PORT; 0: off).",
    ),
) -> None:
    """Run a worker process (run many, on many machines, with a Redis queue)."""
    settings = load_settings()
    if metrics_port >= 0:
        settings = settings.model_copy(update={"worker_metrics_port": metrics_port})
    run_worker(settings, concurrency=concurrency or settings.worker_concurrency, periodic=not no_periodic)


def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000, min=1, max=65535),
    no_worker: bool = typer.Option(False, "--no-worker", help="Do not start an embedded worker process."),
) -> None:
    """Run the web dashboard and JSON API (and an embedded worker)."""
    rt = runtime()
    with _embedded_worker(rt.settings, enabled=not no_worker):
        _serve_web(rt, host, port)


def _serve_web(rt: Runtime, host: str, port: int) -> None:
    from prestasync.web.app import create_app
    from prestasync.web.serving import serve

    serve(create_app(rt), host, port, timeout_s=rt.settings.shutdown_timeout_s)


@contextmanager
def _embedded_worker(settings: Settings, *, enabled: bool) -> Iterator[None]:
    """A worker as a child process: it gets its own signals and cannot stall the web loop."""
    if not enabled:
        yield
        return
    env = {**os.environ, "PRESTASYNC_DATA_DIR": str(settings.data_dir), "PRESTASYNC_SECRET_KEY": settings.secret_key}
    child = subprocess.Popen([sys.executable, "-m", "prestasync", "worker"], env=env)
    try:
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


def emulator(
    port: int = typer.Option(8080, min=1, max=65535),
    products: int = typer.Option(100, min=0, max=1_000_000),
    key: str = typer.Option("DEMO" * 8, help="The 32-character key the emulator accepts."),
    latency_ms: float = typer.Option(0.0, min=0.0),
    fail_rate: float = typer.Option(0.0, min=0.0, max=1.0),
    fail_sku: list[str] = typer.Option([], help="Writes of this reference fail with a validation error."),
    combinations: int = typer.Option(0, min=0, max=50, help="Combinations per product."),
    images: int = typer.Option(0, min=0, max=20, help="Images per product (generated on demand)."),
) -> None:
    """Serve a PrestaShop Webservice emulator at http://127.0.0.1:PORT/api/ (--fail-rate hits writes only)."""
    from prestasync.prestashop.emulator import EmulatedShop, ShopConfig, serve

    config = ShopConfig(key=key, products=products, latency_ms=latency_ms, fail_rate=fail_rate, fail_skus=set(fail_sku))
    config.combinations_per_product, config.images_per_product = combinations, images
    out.print(f"PrestaShop emulator on http://127.0.0.1:{port}/api/ (key {key[:4]}…; {products} products)")
    serve({"": EmulatedShop(config)}, port=port)


def demo(
    port: int = typer.Option(8000, min=1, max=65535),
    products: int = typer.Option(2000, min=10, max=200_000, help="Products in each emulated shop."),
) -> None:
    """Emulated shops, a seeded catalogue, the dashboard and a worker, all on SQLite."""
    from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig

    rt = runtime()
    emulated = {
        prefix: EmulatedShop(
            ShopConfig(
                key=key,
                name=name,
                languages=languages,
                products=products,
                broken={7: {"reference": ""}, 19: {"price": "abc"}, 33: {"reference": "SKU-00032"}},
                latency_ms=25,
                write_latency_ms=40,
            )
        )
        for name, prefix, key, languages in DEMO_SHOPS
    }
    with RunningEmulator(emulated) as running:
        _register_demo_shops(rt, running.url)
        seeded = _seed_catalogue(rt, products // 4)
        _print_demo_help(port, seeded)
        with _embedded_worker(rt.settings, enabled=True):
            _serve_web(rt, "127.0.0.1", port)


def _register_demo_shops(rt: Runtime, base: str) -> None:
    with rt.session() as session, session.begin():
        for name, prefix, key, _ in DEMO_SHOPS:
            existing = session.execute(select(Shop).where(Shop.name == name)).scalar()
            if existing is None:
                shops.add_shop(session, rt.vault, name=name, url=f"{base}/{prefix}", key=key)
            else:  # the emulator's port changes between runs
                shops.update_shop(session, rt.vault, existing, {"url": f"{base}/{prefix}", "key": key})


def _seed_catalogue(rt: Runtime, count: int) -> int:
    """Catalogue-only products (DEMO-…) so an export has something new to create."""
    with rt.session() as session, session.begin():
        if session.execute(select(func.count(Product.id)).where(Product.sku.like("DEMO-%"))).scalar():
            return 0
        now = utcnow()
        for i in range(1, count + 1):
            session.add(
                Product(
                    sku=f"DEMO-{i:05d}",
                    name={"pl": f"Produkt katalogowy {i}", "en": f"Catalogue product {i}"},
                    description={"en": f"Demo product number {i}."},
                    price=Decimal(10 + i % 90) + Decimal("0.99"),
                    quantity=i % 50,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    return count


def _command() -> str:
    """How to call this CLI from the current directory (a fresh clone has it in .venv/bin)."""
    script = Path(sys.executable).parent / "prestasync"
    if not script.exists() or shutil.which("prestasync") == str(script):
        return "prestasync"
    return os.path.relpath(script)


def _print_demo_help(port: int, seeded: int) -> None:
    url = f"http://127.0.0.1:{port}"
    cli = _command()
    out.print(
        f"""
prestasync demo is running: {url}  (API docs: {url}/docs)
Log in as "admin"; the password was printed when the account was first created and is in
<data dir>/admin-password.txt (change it: {cli} users set-password admin).
Two emulated shops are registered: "Demo PL" and "Demo EN" (each with a few broken records).
{f"{seeded} catalogue products were seeded. " if seeded else ""}In another terminal, try:
  {cli} import --shop "Demo PL" --wait
  {cli} export --shop "Demo EN"
  {cli} jobs watch
  {cli} jobs list
Press Ctrl+C to stop.
"""
    )
