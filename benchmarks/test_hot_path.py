"""The pytest-benchmark suite: every case of :mod:`benchmarks.cases`, grouped.

Run with ``python -m pytest benchmarks`` (add ``--benchmark-compare`` or
``--benchmark-save=NAME`` as usual). Figures include about 50 ns of harness
per call (a lambda and the next pooled input); the ratio check
(``python -m benchmarks.ratios``) is the one that judges the targets.
"""

from __future__ import annotations

import itertools

import pytest

from benchmarks.cases import cases

CASES = cases()


@pytest.mark.parametrize("name", list(CASES))
def test_hot_path(benchmark, name):
    case = CASES[name]
    benchmark.group = case.group
    benchmark.extra_info.update(doc=case.doc, samples_per_call=case.items)
    next_input = itertools.cycle(case.inputs).__next__
    run = case.run
    benchmark(lambda: run(next_input()))
