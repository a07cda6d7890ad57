"""Catalogue files and reports over the real API: uploads, limits, profiles, exports, job reports, pages."""

from __future__ import annotations

import csv
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from openpyxl import load_workbook

from prestasync import ledger
from prestasync.contract import JOB_REPORT_COLUMNS, JobOut, ProfileOut
from prestasync.models import Shop
from prestasync.progress import JobStatus, JobType
from prestasync.runtime import Runtime
from prestasync.web.app import create_app
from tests.catalogue_files import catalogue, counts, run, seed
from tests.web.conftest import FAST_LIVE, LiveServer, RecordingQueue, make_token, sign_in
from tests.web.test_events import bearer
from tests.web.test_pages import add_job, add_shop

CSV_TYPE = "text/csv"


@pytest.fixture
def api(live: LiveServer, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, headers=bearer(token), timeout=30) as client:
        yield client


def upload(client: httpx.Client, name: str, content: bytes, **params: str) -> httpx.Response:
    return client.post("/api/catalogue/imports", params=params, files={"file": (name, content, CSV_TYPE)})


def test_an_upload_starts_a_file_import_job(live: LiveServer, api: httpx.Client, stub_queue: RecordingQueue) -> None:
    seed(live.rt, 3)
    answer = upload(api, "prices.csv", b"sku,price,Colour\nP-00001,9.99,red\nNEW-1,5,blue\n", dry_run="true")
    assert answer.status_code == 202, answer.text
    job = JobOut.model_validate(answer.json())
    assert (job.type, job.shop_id, job.shop_name, job.status, job.preview) == (
        "file_import",
        None,
        "prices.csv",
        "pending",
        True,
    )
    assert job.params["ignored_columns"] == ["Colour"] and stub_queue.ids == [job.id]
    assert counts(run(live.rt, job.id)) == ("completed", 2, 2, 0, 1, 1, 0)
    applied = api.post(f"/api/catalogue/imports/{job.id}/apply")
    assert applied.status_code == 202
    assert counts(run(live.rt, applied.json()["id"]))[4:6] == (1, 1)
    assert catalogue(live.rt)["NEW-1"].price == 5
    refused = api.post(f"/api/catalogue/imports/{job.id}/apply")
    assert refused.status_code == 202  # a completed dry run may be applied again: a new job
    assert api.post(f"/api/catalogue/imports/{applied.json()['id']}/apply").status_code == 409
    assert api.post("/api/catalogue/imports/999999/apply").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "params", "status", "detail"),
    [
        ("prices.csv", b"code,price\nA,1\n", {}, 422, "the file has no sku column"),
        ("prices.ods", b"sku\nA\n", {}, 422, "not a .csv or .xlsx file"),
        ("prices.xlsx", b"sku,price\n", {}, 422, "not an XLSX workbook"),
        ("prices.csv", b"", {}, 422, "is empty"),
        ("prices.csv", b"sku\nA\n", {"profile": "nope"}, 404, "no import profile named 'nope'"),
    ],
)
def test_unusable_uploads_are_refused_and_not_kept(
    live: LiveServer, api: httpx.Client, name: str, content: bytes, params: dict[str, str], status: int, detail: str
) -> None:
    answer = upload(api, name, content, **params)
    assert answer.status_code == status and detail in answer.json()["detail"]
    uploads = live.rt.settings.data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_a_body_that_is_not_a_file_upload(api: httpx.Client) -> None:
    assert "multipart/form-data" in api.post("/api/catalogue/imports", json={"file": "x"}).json()["detail"]
    no_file = api.post("/api/catalogue/imports", files={"other": ("x.csv", b"sku\n")})
    assert no_file.status_code == 422 and "no file" in no_file.json()["detail"]


@pytest.fixture
def small(web_settings: object) -> Iterator[LiveServer]:
    """A server whose uploads may be at most 2 KB."""
    from prestasync.config import Settings

    assert isinstance(web_settings, Settings)
    rt = Runtime(web_settings.model_copy(update={"file_max_bytes": 2048}))
    server = LiveServer.start(create_app(rt, queue=RecordingQueue(), live=FAST_LIVE))
    yield server
    server.stop()


def _read_answer(conn: socket.socket) -> str:
    """One whole HTTP answer: the head and body may arrive in separate segments."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
        more = conn.recv(65536)
        if not more:
            break
        data += more
    return data.decode()


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_a_large_upload_is_refused_before_it_is_read(small: LiveServer) -> None:
    token = make_token(small.rt)
    host, port = urlsplit(small.url).hostname, urlsplit(small.url).port
    assert host and port
    head = (
        "POST /api/catalogue/imports HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1073741824\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(head.encode())  # the 1 GB body is never sent: the answer comes first
        answer = _read_answer(conn)
    assert answer.startswith("HTTP/1.1 413")
    assert json.loads(answer.split("\r\n\r\n", 1)[1])["detail"] == (
        "the file is too large (1,073,741,824 bytes): the limit is 2,048 bytes (PRESTASYNC_FILE_MAX_BYTES)"
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: cut off once past the limit
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\nsku\n'
        for _ in range(100):
            yield b"A" * 100 + b"\n"
        yield b"\r\n--b--\r\n"

    with httpx.Client(base_url=small.url, headers=bearer(token), timeout=10) as client:
        cut = client.post(
            "/api/catalogue/imports", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"}
        )
    assert cut.status_code == 413 and "the limit is 2,048 bytes" in cut.json()["detail"]
    assert list((small.rt.settings.data_dir / "uploads").iterdir()) == []


def test_profiles_are_saved_listed_and_deleted(api: httpx.Client) -> None:
    body = {
        "mapping": {"Cena": "PRICE", "Kod": "sku", "Uwagi": ""},
        "options": {"delimiter": ";", "decimal_comma": True},
    }
    saved = api.put("/api/catalogue/profiles/ERP", json=body)
    assert saved.status_code == 200, saved.text
    profile = ProfileOut.model_validate(saved.json())
    assert profile.mapping == {"Cena": "price", "Kod": "sku", "Uwagi": ""}
    assert (profile.options.delimiter, profile.options.encoding, profile.options.decimal_comma) == (";", "utf-8", True)
    assert [p["name"] for p in api.get("/api/catalogue/profiles").json()] == ["ERP"]
    bad = api.put("/api/catalogue/profiles/X", json={"mapping": {"A": "colour"}})
    assert bad.status_code == 422 and "'colour' is not a catalogue column" in bad.json()["detail"]
    assert api.put("/api/catalogue/profiles/X", json={"options": {"encoding": "utf-16"}}).status_code == 422
    assert api.put("/api/catalogue/profiles/X", json={"options": {"separator": ";"}}).status_code == 422
    assert api.delete("/api/catalogue/profiles/ERP").status_code == 204
    assert api.delete("/api/catalogue/profiles/ERP").status_code == 404
    assert [f["name"] for f in api.get("/api/catalogue/fields").json()][:2] == ["sku", "name"]


def test_the_catalogue_exports_as_csv_and_xlsx(live: LiveServer, api: httpx.Client) -> None:
    seed(live.rt, 1200)
    answer = api.get("/api/catalogue/export.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["sku", "name_en", "name_pl", "description_en", "price", "quantity", "active"]
    assert len(rows) == 1201 and rows[1][:5] == ["P-00001", "Product 1", "Produkt 1", "<p>About 1</p>", "1.25"]
    book = api.get("/api/catalogue/export.xlsx")
    assert book.status_code == 200 and 'filename="catalogue.xlsx"' in book.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(book.content), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1201 and values[1200][0] == "P-01200" and values[1200][4] == 1200.25
    assert not list(live.rt.settings.data_dir.glob("export-*"))  # the scratch workbook is gone once sent


def test_job_reports_have_one_row_per_matching_job(live: LiveServer, api: httpx.Client) -> None:
    a, b = add_shop(live.rt, "Shop A"), add_shop(live.rt, "Shop B", key="B" * 32)
    expected = {
        add_job(live.rt, a, JobStatus.COMPLETED),
        add_job(live.rt, a, JobStatus.FAILED, JobType.EXPORT, error_message="=shop down"),
    }
    other = {add_job(live.rt, b, JobStatus.COMPLETED), add_job(live.rt, a, JobStatus.RUNNING)}
    with live.rt.session() as session, session.begin():
        file_job = ledger.create_job(session, type=JobType.FILE_IMPORT, shop=None, params={}, label="f.csv")
    report = api.get("/api/jobs/report.csv", params={"status": "finished", "shop_id": a})
    assert report.status_code == 200
    rows = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert list(rows[0]) == JOB_REPORT_COLUMNS
    assert {int(r["id"]) for r in rows} == expected
    failed = next(r for r in rows if r["status"] == "failed")
    assert (failed["type"], failed["shop"], failed["error"]) == ("export", "Shop A", "'=shop down")
    assert float(failed["duration_s"]) >= 0 and failed["finished_at"].endswith("Z")
    book = api.get("/api/jobs/report.xlsx", params={"type": "file_import"})
    sheet = load_workbook(io.BytesIO(book.content), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == JOB_REPORT_COLUMNS
    assert [(v[0], v[1], v[2], v[3]) for v in values[1:]] == [(file_job, "file_import", "f.csv", "pending")]
    everything = api.get("/api/jobs/report.xlsx")
    rows_all = list(
        load_workbook(io.BytesIO(everything.content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert {r[0] for r in rows_all[1:]} == expected | other | {file_job}
    assert api.get("/api/jobs/report.csv", params={"status": "weird"}).status_code == 422
    assert api.get("/api/jobs/report.csv", params={"shop_id": 0}).status_code == 422
    with live.rt.session() as session:
        assert session.get(Shop, a) is not None


def test_pages_offer_the_upload_form_and_the_report_links(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, headers={"Accept-Language": "en"}) as client:
        sign_in(client)
        add_shop(live.rt)
        products = client.get("/products").text
        assert 'data-field="upload-form"' in products and 'href="/api/catalogue/export.xlsx"' in products
        sync = client.get("/shops/sync", params={"status": "failed", "shop": "1", "type": "file_import"}).text
        assert 'href="/api/jobs/report.csv?status=failed&amp;shop_id=1&amp;type=file_import"' in sync
        assert '<option value="file_import" selected>File import</option>' in sync
        assert 'href="/api/jobs/report.xlsx"' in client.get("/shops/sync").text
        polish = client.get("/products", params={"lang": "pl"}).text
        assert "Importuj plik" in polish and "Próba: tylko pokaż zmiany" in polish


def test_a_session_upload_needs_the_csrf_token(live: LiveServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.url) as client:
        token = sign_in(client)
        refused = upload(client, "a.csv", b"sku,price\nA,1\n")
        assert refused.status_code == 403
        client.headers["X-CSRF-Token"] = token
        assert upload(client, "a.csv", b"sku,price\nA,1\n").status_code == 202


def test_the_routes_are_documented_with_their_answers(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    upload = spec["paths"]["/api/catalogue/imports"]["post"]
    assert set(upload["responses"]) >= {"202", "401", "404", "413", "422"}
    assert upload["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/JobOut")
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert spec["paths"]["/api/catalogue/profiles/{name}"]["put"]["responses"]["200"]["content"]
    assert "text/csv" in spec["paths"]["/api/jobs/report.csv"]["get"]["responses"]["200"]["content"]
    refused = api.post("/api/jobs", json={"type": "file_import", "shop_id": 1})
    # the schema names the job types a client may start; a file import starts with its upload
    assert refused.status_code == 422 and "file_import" in refused.text
