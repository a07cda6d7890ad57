from datetime import UTC, datetime

from prestasync.contract import ItemOut, failure_row

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_csv_rows_keep_formula_like_cells_as_text() -> None:
    item = ItemOut(
        id=1,
        sku='=HYPERLINK("http://evil")',
        remote_id=7,
        state="failed",
        outcome=None,
        error_code="ps_85",
        message="+1 is not a price",
        cause="@ is not a price",
        changes=None,
        attempt=1,
        created_at=AT,
        updated_at=AT,
    )
    assert failure_row(item) == [
        '\'=HYPERLINK("http://evil")',
        "7",
        "ps_85",
        "'+1 is not a price",
        "2026-01-01T00:00:00Z",
    ]
    assert failure_row(item.model_copy(update={"sku": "SKU-1", "remote_id": None}))[:2] == ["SKU-1", ""]
