"""PrestaShop Webservice client: typed records, one exception tree, one client class.

    from prestasync.prestashop import PrestaShopClient, ProductDraft

    with PrestaShopClient.connect("https://shop.example.com", key) as shop:
        info = shop.check()

The emulator (`prestasync.prestashop.emulator`) is not imported here, so importing this package
stays light.
"""

from prestasync.prestashop.client import PrestaShopClient
from prestasync.prestashop.errors import (
    BadResponse,
    NotFound,
    NotSupported,
    PrestaShopError,
    ShopTimeout,
    ShopUnavailable,
    Unauthorized,
    ValidationFailed,
    WebserviceDisabled,
)
from prestasync.prestashop.records import BadRecord, Language, ProductDraft, RemoteProduct, ShopInfo, StockRow

__all__ = [
    "BadRecord",
    "BadResponse",
    "Language",
    "NotFound",
    "NotSupported",
    "PrestaShopClient",
    "PrestaShopError",
    "ProductDraft",
    "RemoteProduct",
    "ShopInfo",
    "ShopTimeout",
    "ShopUnavailable",
    "StockRow",
    "Unauthorized",
    "ValidationFailed",
    "WebserviceDisabled",
]
