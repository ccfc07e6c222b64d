"""The end-to-end RabbitMQ figure can be reproduced (functional, not timed)."""

from __future__ import annotations

import pytest

from benchmarks.e2e_rabbitmq import measure


@pytest.mark.rabbitmq
def test_both_consumers_drain_every_sample(rabbitmq):
    results = measure(rabbitmq.url, samples=300, batch_size=50, timeout=120)  # raises unless all 300 arrive
    assert results["bare"] > 0 and results["compat"] > 0
    rabbitmq.wait_until_drained(["e2e_compat"], timeout=30)  # drained last, nothing left unacked


@pytest.mark.rabbitmq
def test_interleaved_rounds_give_every_consumer_a_figure_per_round(rabbitmq):
    from benchmarks.e2e_rabbitmq import CONSUMERS, measure_rounds

    figures = measure_rounds(rabbitmq.url, samples=1000, batch_size=5, rounds=2, timeout=120)
    assert set(figures) == set(CONSUMERS) and all(len(rates) == 2 and min(rates) > 0 for rates in figures.values())
    rabbitmq.wait_until_drained([f"e2e_rounds_{name}" for name in CONSUMERS], timeout=30)


@pytest.mark.parametrize("required,expected", [("", None), ("1", 2)])
def test_the_ratio_check_says_why_it_skips_the_end_to_end_rows(monkeypatch, required, expected):
    import ceilocompat.testing
    from benchmarks import ratios

    def missing():
        raise ceilocompat.testing.RabbitMQUnavailable("rabbitmq-server not found")

    monkeypatch.setattr(ceilocompat.testing, "find_rabbitmq", missing)
    monkeypatch.setenv("CEILOCOMPAT_REQUIRE_RABBITMQ", required)
    lines = []
    missed = ratios.measure_e2e("quick", lines.append)
    assert (missed if missed is None else len(missed)) == expected
    assert "rabbitmq-server not found" in lines[0]


def test_the_end_to_end_ratio_is_the_median_of_each_rounds_pair():
    from benchmarks.ratios import Ratio, paired_ratio

    ratio = Ratio("compat / bare", "bare", "compat", at_least=0.95)
    # One round in which the bare listener had the machine to itself would fail a best-of-each comparison
    # (90 / 200); paired round by round, the compat consumer kept up in two rounds of three.
    figures = {"bare": [100.0, 200.0, 80.0], "compat": [97.0, 90.0, 78.0]}
    assert max(figures["compat"]) / max(figures["bare"]) < 0.5
    assert paired_ratio(ratio, figures) == 0.97
    assert ratio.verdict(paired_ratio(ratio, figures)) == "ok"
    with pytest.raises(ValueError):  # rounds are pairs: a figure missing from one side is a bug, not noise
        paired_ratio(ratio, {"bare": [1.0, 2.0], "compat": [1.0]})
