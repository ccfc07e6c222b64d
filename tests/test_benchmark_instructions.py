"""The instruction-count mode counts only what runs inside ``functools.reduce`` and judges as the timed ratios do.

Counting a real case under valgrind takes about a minute (the child builds
every case); here callgrind counts a tiny loop, and the judging is checked
with given counts.
"""

from __future__ import annotations

import os
import shutil

import pytest

from benchmarks import instructions

VALGRIND = shutil.which("valgrind")
#: CI counts instructions (``benchmarks.instructions --check``): there, a missing valgrind is a failure.
REQUIRED = os.environ.get("CEILOCOMPAT_REQUIRE_VALGRIND") == "1"
LOOP = "import functools; print(functools.reduce(lambda total, i: total + i, range({}), 0))"


@pytest.mark.skipif(VALGRIND is None and not REQUIRED, reason="valgrind is not installed (apt-get install valgrind)")
def test_callgrind_counts_the_calls_inside_reduce_and_leaves_start_up_out():
    assert VALGRIND is not None, "CEILOCOMPAT_REQUIRE_VALGRIND=1 but valgrind is not installed"
    thousand, printed = instructions.callgrind(VALGRIND, ["-S", "-c", LOOP.format(1000)])
    two_thousand, _ = instructions.callgrind(VALGRIND, ["-S", "-c", LOOP.format(2000)])
    assert printed.split() == ["499500"]
    # Python's start-up alone is millions of instructions: counted, it would swamp the loop's few hundred a turn.
    assert 1.9 < two_thousand / thousand < 2.1
    assert thousand < 5_000_000


COUNTS = {
    "endpoint_batch_of_50": 1_300.0,
    "from_wire_each_of_50": 1_000.0,
    "endpoint_verified_batch_of_50": 2_200.0,
    "verify_from_wire_each_of_50": 2_000.0,
    "endpoint_requiring_batch_of_50": 1_350.0,
}


def given_counts(monkeypatch, counts: dict[str, float]) -> list[tuple[str, int]]:
    """Make *counts* what callgrind counts; the (case, passes) asked for are appended to the list returned."""
    asked = []

    def counted(name: str, passes: int, valgrind: str) -> float:
        asked.append((name, passes))
        return counts[name]

    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    monkeypatch.setattr(instructions, "instructions", counted)
    return asked


@pytest.mark.parametrize("endpoint,verdict,status", [(1_300.0, "ok", 0), (1_400.0, "near", 0), (1_500.0, "FAIL", 1)])
def test_ratios_of_counts_are_judged_like_times(monkeypatch, endpoint, verdict, status):
    asked = given_counts(monkeypatch, {**COUNTS, "endpoint_batch_of_50": endpoint})
    lines: list[str] = []
    assert instructions.main(["--passes", "3", "--jobs", "1"], out=lines.append) == status
    text = "\n".join(lines)
    assert sorted(asked) == sorted((name, 3) for name in COUNTS)
    assert "ratio (instructions / instructions)" in text and f"{endpoint:,.0f}" in text
    row = next(line for line in text.splitlines() if line.startswith("CompatBatchEndpoint / Sample.from_wire"))
    assert row.split()[-4:] == [f"{endpoint / 1000:.3f}", "<=", "1.30", verdict]


def test_a_word_no_ratio_label_contains_is_refused():
    with pytest.raises(SystemExit, match="no ratio label contains"):
        instructions.selected_ratios(["no-such-ratio"])


@pytest.mark.parametrize("plus_100,verdict,status", [(1_040.0, "ok", 0), (1_120.0, "near", 0), (1_200.0, "FAIL", 1)])
def test_check_holds_the_counted_rows_to_their_counted_target(monkeypatch, plus_100, verdict, status):
    asked = given_counts(monkeypatch, {"from_wire": 1_000.0, "from_wire_plus_100": plus_100})
    lines: list[str] = []
    assert instructions.main(["--check", "--jobs", "1"], out=lines.append) == status
    passes = instructions.CHECK_PASSES
    assert sorted(asked) == [("from_wire", passes), ("from_wire_plus_100", passes)]
    row = next(line for line in lines[-1].splitlines() if line.startswith("from_wire, 100 unknown keys"))
    assert row.split()[-4:] == [f"{plus_100 / 1000:.3f}", "<=", "1.05", verdict]


def test_check_takes_no_words():
    with pytest.raises(SystemExit):
        instructions.main(["--check", "msgspec"])
