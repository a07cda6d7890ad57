"""A PrestaShop 8.1 Webservice emulator for tests, the demo and benchmarks.

It answers like a real PrestaShop 8.1.2 shop does on the wire, quirks included; `docs/prestashop-wire.md`
lists what it reproduces and the captures in `tests/wire/prestashop-8.1.2/` that show each fact.

    app = create_app({"": EmulatedShop(ShopConfig(products=100))})   # http://host/api/…
    with RunningEmulator({"pl": shop}) as emu:                       # emu.url + "/pl/api/…"
        ...
"""

from prestasync.prestashop.emulator.app import RunningEmulator, create_app, serve
from prestasync.prestashop.emulator.config import ShopConfig, WriteRecord
from prestasync.prestashop.emulator.store import EmulatedShop

__all__ = ["EmulatedShop", "RunningEmulator", "ShopConfig", "WriteRecord", "create_app", "serve"]
