"""The instruction-count mode counts only what runs inside ``functools.reduce`` and judges as the timed ratios do.

Counting a real case under valgrind takes about a minute (the child builds
every case); here callgrind counts a tiny loop, and the judging is checked
with given counts.
"""

from __future__ import annotations

import shutil

import pytest

from benchmarks import instructions

VALGRIND = shutil.which("valgrind")
LOOP = "import functools; print(functools.reduce(lambda total, i: total + i, range({}), 0))"


@pytest.mark.skipif(VALGRIND is None, reason="valgrind is not installed (Debian: apt-get install valgrind)")
def test_callgrind_counts_the_calls_inside_reduce_and_leaves_start_up_out():
    assert VALGRIND is not None
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
}


@pytest.mark.parametrize("endpoint,verdict,status", [(1_300.0, "ok", 0), (1_400.0, "near", 0), (1_500.0, "FAIL", 1)])
def test_ratios_of_counts_are_judged_like_times(monkeypatch, endpoint, verdict, status):
    counts = {**COUNTS, "endpoint_batch_of_50": endpoint}
    asked = []

    def counted(name: str, passes: int, valgrind: str) -> float:
        asked.append((name, passes))
        return counts[name]

    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    monkeypatch.setattr(instructions, "instructions", counted)
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
