"""URL slugs the way `Tools::link_rewrite` builds them (`classes/Tools.php` in PrestaShop 8.1).

Used when a product is POSTed without a `link_rewrite` for a language whose name was sent, or with
one that is not a valid slug (`36_post_product_link_rewrite_bad.http`), and for a manufacturer's
read-only `link_rewrite`.
"""

from __future__ import annotations

import re
import unicodedata


def link_rewrite(text: str) -> str:
    """ASCII, lower case, runs of separators turned into one dash, other characters dropped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    ascii_text = re.sub(r"[^a-z0-9\s'\:/\[\]\-]", "", ascii_text)
    return re.sub(r"[\s'\:/\[\]\-]+", "-", ascii_text.strip()).strip("-")
