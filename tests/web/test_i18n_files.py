"""File import jobs read well on cards in both languages (as static/js/cards.js renders them)."""

from __future__ import annotations

from typing import Any

import pytest

from prestasync.progress import allowed_actions
from prestasync.web.i18n import Texts
from tests.web.test_i18n import job


def file_job(**values: Any) -> dict[str, Any]:
    """A file import's job JSON; its `actions` from the one table, as the server sends them."""
    merged = {**job(type="file_import", shop_name="prices.xlsx", total=5000, processed=120), "preview": False, **values}
    actions = allowed_actions(merged["status"], failed=merged["failed"], preview=merged["preview"], kind="file_import")
    return {**merged, "actions": sorted(actions)}


@pytest.mark.parametrize(
    ("lang", "values", "title"),
    [
        ("en", {}, "Importing file… 120/5000 rows from prices.xlsx"),
        ("pl", {}, "Importowanie pliku… 120/5000 wierszy z prices.xlsx"),
        ("en", {"preview": True}, "Checking file… 120/5000 rows from prices.xlsx (dry run)"),
        ("pl", {"preview": True}, "Sprawdzanie pliku… 120/5000 wierszy z prices.xlsx (próba)"),
        ("en", {"status": "pending", "shop_name": ""}, "Queued: import of (a file)"),
        ("pl", {"status": "completed", "processed": 5000}, "Zaimportowano 5000/5000 wierszy z prices.xlsx"),
    ],
)
def test_file_import_titles(lang: str, values: dict[str, Any], title: str) -> None:
    assert Texts(lang).job(file_job(**values))["title"] == title


def test_rejected_rows_and_no_retry_of_failed_rows() -> None:
    view = Texts("en").job(file_job(status="completed", processed=5000, failed=12))
    assert view["errors"] == "Rows rejected: 12" and view["can_retry"] and not view["can_retry_failed"]
    assert Texts("pl").job(file_job(failed=3))["errors"] == "Odrzucone wiersze: 3"
