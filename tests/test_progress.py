import pytest

from prestasync.progress import (
    JobStatus,
    RateMeter,
    estimate,
    may_transition,
    percent,
    sources_of,
)


def test_terminal_states_allow_nothing() -> None:
    for status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED):
        for target in JobStatus:
            assert not may_transition(status, target)


def test_pending_cannot_complete_without_running() -> None:
    assert not may_transition("pending", JobStatus.COMPLETED)
    assert may_transition("pending", JobStatus.RUNNING)


def test_sources_of_completed() -> None:
    assert sources_of(JobStatus.COMPLETED) == {JobStatus.RUNNING, JobStatus.CANCELLING}


def test_percent_clamps_and_rounds() -> None:
    assert percent(120, 450) == 26.7
    assert percent(5, 0) == 0.0
    assert percent(10, 5) == 100.0


def test_rate_meter_waits_for_warmup_then_tracks_rate() -> None:
    meter = RateMeter(half_life_s=1.0, warmup_s=2.0, warmup_items=5)
    meter.sample(0.0, 0)
    meter.sample(1.0, 10)
    assert meter.rate() is None  # only 1 s of data
    for t in range(2, 12):
        meter.sample(float(t), t * 10)
    assert meter.rate() == pytest.approx(10.0, rel=0.01)
    assert meter.eta(110, 210) == pytest.approx(10.0, rel=0.02)


def test_rate_meter_follows_a_slowdown() -> None:
    meter = RateMeter(half_life_s=1.0)
    n = 0
    for t in range(10):
        n += 100
        meter.sample(float(t), n)
    for t in range(10, 20):
        n += 10
        meter.sample(float(t), n)
    rate = meter.rate()
    assert rate is not None and rate < 15


def test_estimate_needs_warmup() -> None:
    assert estimate(3, 100, 10.0) == (None, None)
    assert estimate(50, 100, 1.0) == (None, None)
    assert estimate(50, 150, 10.0) == (5.0, 20.0)


def test_cause_groups_messages_that_differ_only_in_particulars() -> None:
    from prestasync.progress import cause_of

    a = cause_of("price 'abc' is not a valid price", "SKU-1")
    b = cause_of("price '-5' is not a valid price", "SKU-2")
    assert a == b == "price '…' is not a valid price"
    # A sentence, no placeholders (issue: the modal showed "product {sku} has no reference").
    assert cause_of("reference SKU-7 is used by product #12", "SKU-7") == "reference the product is used by a product"
    assert cause_of("x" * 1000) == "x" * 255
