"""PrestaShop Webservice client: typed records, one exception tree, one client class.

    from prestasync.prestashop import PrestaShopClient, ProductDraft

    with PrestaShopClient.connect("https://shop.example.com", key) as shop:
        info = shop.check()

The emulator (`prestasync.prestashop.emulator`) is not imported here, so importing this package
stays light. The client imports nothing else from prestasync.
"""

from prestasync.prestashop.client import PrestaShopClient
from prestasync.prestashop.errors import (
    BadResponse,
    NotFound,
    NotSupported,
    PrestaShopError,
    ShopTimeout,
    ShopUnavailable,
    ShopUnreachable,
    Unauthorized,
    ValidationFailed,
    WebserviceDisabled,
)
from prestasync.prestashop.records import (
    BadRecord,
    Category,
    Combination,
    ImageUpload,
    Language,
    ProductDraft,
    Record,
    RemoteProduct,
    Schema,
    ShopInfo,
    StockRow,
)

__all__ = [
    "BadRecord",
    "BadResponse",
    "Category",
    "Combination",
    "ImageUpload",
    "Language",
    "NotFound",
    "NotSupported",
    "PrestaShopClient",
    "PrestaShopError",
    "ProductDraft",
    "Record",
    "RemoteProduct",
    "Schema",
    "ShopInfo",
    "ShopTimeout",
    "ShopUnavailable",
    "ShopUnreachable",
    "StockRow",
    "Unauthorized",
    "ValidationFailed",
    "WebserviceDisabled",
]
