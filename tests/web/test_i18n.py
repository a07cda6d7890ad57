"""UI texts: the seed's wording in both languages, and choosing the language."""

from __future__ import annotations

import re
from typing import Any

import pytest

from prestasync.progress import allowed_actions
from prestasync.web.i18n import EN, PL, Texts, choose_language, parse_accept_language


def job(**values: Any) -> dict[str, Any]:
    """A job JSON; its `actions` come from the one table, as the server sends them."""
    base = {
        "id": 12,
        "type": "import",
        "status": "running",
        "shop_name": "Demo PL",
        "total": 450,
        "processed": 120,
        "failed": 0,
        "elapsed_s": 65.0,
        "rate_per_s": 41.2,
        "eta_s": 8.0,
    }
    merged = {**base, **values}
    return {**merged, "actions": sorted(allowed_actions(merged["status"], failed=merged["failed"]))}


@pytest.mark.parametrize(
    ("lang", "kind", "expected"),
    [
        ("pl", "import", "Importowanie… 120/450 produktów z Demo PL"),
        ("en", "import", "Importing… 120/450 products from Demo PL"),
        ("pl", "export", "Eksportowanie… 120/450 produktów do Demo PL"),
        ("en", "export", "Exporting… 120/450 products to Demo PL"),
        ("pl", "sync", "Synchronizacja… 120/450 produktów do Demo PL"),
        ("en", "sync", "Syncing… 120/450 products to Demo PL"),
    ],
)
def test_running_jobs_read_like_the_seed(lang: str, kind: str, expected: str) -> None:
    assert Texts(lang).job(job(type=kind))["title"] == expected


def test_the_failed_count_reads_like_the_seed() -> None:
    assert Texts("pl").job(job(failed=3))["errors"] == "Błąd importu 3 produktów"
    assert Texts("en").job(job(failed=3, type="export"))["errors"] == "Export failed for 3 products"
    assert Texts("pl").job(job())["errors"] == ""


def test_rate_and_eta_only_for_a_warmed_up_running_job() -> None:
    view = Texts("en").job(job())
    assert (view["rate"], view["eta"], view["elapsed"]) == ("41.2/s", "ETA 8 s", "elapsed 1 min 5 s")
    cold = Texts("en").job(job(rate_per_s=None, eta_s=None))
    assert cold["rate"] == cold["eta"] == ""
    done = Texts("en").job(job(status="completed", processed=450))
    assert done["title"] == "Imported 450/450 products from Demo PL" and done["rate"] == ""


def test_button_states_follow_the_job_state() -> None:
    states = {s: Texts("en").job(job(status=s, failed=2)) for s in ("pending", "running", "cancelling", "failed")}
    assert [states[s]["can_cancel"] for s in states] == [True, True, False, False]
    assert [states[s]["can_retry"] for s in states] == [False, False, False, True]
    assert states["failed"]["can_retry_failed"]
    assert not Texts("en").job(job(status="completed", failed=0))["can_retry_failed"]


def test_a_deleted_shop_is_named_as_such() -> None:
    assert Texts("en").job(job(shop_name=""))["title"].endswith("from (deleted shop)")


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    assert EN.keys() == PL.keys()
    for key in EN:
        assert set(re.findall(r"\{\w+\}", EN[key])) == set(re.findall(r"\{\w+\}", PL[key])), key


def test_accept_language_is_ranked_by_quality() -> None:
    assert parse_accept_language("en;q=0.5, pl-PL, de;q=0") == ["pl", "en"]
    assert parse_accept_language("") == []


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, "pl-PL,pl;q=0.9,en;q=0.8", "pl"),
        (None, "de-DE, en;q=0.5", "en"),
        (None, "de-DE", "en"),
        ("pl", "en-GB", "pl"),
        ("xx", "pl", "pl"),
    ],
)
def test_the_language_comes_from_the_cookie_then_the_browser(cookie: str | None, header: str, expected: str) -> None:
    assert choose_language(cookie, header) == expected


def _export(**values: Any) -> dict[str, Any]:
    """An export or sync job JSON with its actions from the one table, preview flag included."""
    merged = {**job(type="export"), "preview": False, "created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    merged.update(values)
    actions = allowed_actions(merged["status"], failed=merged["failed"], preview=merged["preview"], kind=merged["type"])
    return {**merged, "actions": sorted(actions)}


def test_a_held_export_says_why_and_offers_confirm_and_its_changes() -> None:
    reason = "held by the change guard: it would set the stock of 5 of 6 products to 0"
    view = Texts("pl").job(_export(status="held", error_message=reason))
    assert view["badge"] == "Wstrzymane" and view["title"] == "Wstrzymano przed zapisem: eksport do Demo PL (120/450)"
    assert view["held"] == f"Czeka na potwierdzenie: {reason}"
    assert view["can_confirm"] and view["can_changes"] and not view["can_apply"]
    assert Texts("en").job(_export(status="running"))["held"] == ""


def test_a_preview_reads_as_one_and_offers_apply_and_its_changes() -> None:
    done = _export(status="completed", preview=True, processed=450, updated=4, unchanged=446)
    view = Texts("en").job(done)
    assert view["title"] == "Previewed an export of 450/450 products to Demo PL (nothing written)"
    assert view["can_apply"] and view["can_changes"] and view["outcomes"] == "updated: 4 · unchanged: 446"
    sync = Texts("pl").job({**done, "type": "sync"})
    assert sync["title"] == "Podgląd synchronizacji 450/450 produktów do Demo PL gotowy (nic nie zapisano)"


def test_changes_are_offered_for_a_finished_export_that_wrote_something_only() -> None:
    assert Texts("en").job(_export(status="completed", updated=2))["can_changes"]
    assert not Texts("en").job(_export(status="completed"))["can_changes"]
    assert not Texts("en").job(_export(status="running", updated=2))["can_changes"]
    assert not Texts("en").job(_export(type="import", status="completed", created=2))["can_changes"]


def test_a_running_jobs_step_is_named_in_the_readers_language() -> None:
    assert Texts("en").job(_export(step={"phase": "images", "done": 3, "total": 7}))["step"] == "images 3/7"
    assert Texts("pl").job(_export(step={"phase": "images", "done": 3, "total": 7}))["step"] == "zdjęcia 3/7"
    assert Texts("en").job(_export(step={"phase": "prices", "done": 1, "total": 2}))["step"] == "prices 1/2"
    assert Texts("en").job(_export(step=None))["step"] == ""
