"""prestasync: bulk import, export and sync with PrestaShop shops, tracked live."""

__version__ = "0.1.0"
