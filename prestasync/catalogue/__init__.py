"""The product catalogue: reading it, and folding shop data into it.

The package is split by concept: `reading` (search, count, bindings), `products` (checking
shop records and writing a page of products), `tree` (the category tree), `options` (attribute
groups and values, features, manufacturers), `variants` (combinations), `media` (images),
`prices` (specific prices), `links` (what each record is called in each shop). The names below
are the ones the CLI, the API, the import job and file imports use.
"""

from prestasync.catalogue.incoming import (
    Details,
    Incoming,
    IncomingCombination,
    IncomingImage,
    IncomingPrice,
    ItemFailure,
    PageResult,
)
from prestasync.catalogue.products import check_record, import_page, import_products, upsert, write_page
from prestasync.catalogue.reading import bindings_for, count, search

__all__ = [
    "Details",
    "Incoming",
    "IncomingCombination",
    "IncomingImage",
    "IncomingPrice",
    "ItemFailure",
    "PageResult",
    "bindings_for",
    "check_record",
    "count",
    "import_page",
    "import_products",
    "search",
    "upsert",
    "write_page",
]
