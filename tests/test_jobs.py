from prestasync import jobs


def test_csv_rows_keep_formula_like_cells_as_text() -> None:
    item = {
        "sku": '=HYPERLINK("http://evil")',
        "remote_id": 7,
        "error_code": "ps_85",
        "message": "+1 is not a price",
        "created_at": "2026-01-01T00:00:00Z",
    }
    assert jobs.csv_row(item) == [
        '\'=HYPERLINK("http://evil")',
        "7",
        "ps_85",
        "'+1 is not a price",
        "2026-01-01T00:00:00Z",
    ]
    assert jobs.csv_row({**item, "sku": "SKU-1", "remote_id": None})[:2] == ["SKU-1", ""]
