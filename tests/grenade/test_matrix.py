"""The compatibility matrix of real releases, and the planner held to it.

The releases straddle the strict ``user_name`` read: 17.0.0 and 18.0.0
polling agents do not send it; 18.1.0 and 21.0.0 agents require it; 18.0.0
and 27.0.0 agents read it with a default. ``ceilocompat matrix --releases
...`` runs the same for any releases (docs/guides/operators.rst).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ceilocompat.grenade.heatmap import heatmap_svg
from ceilocompat.grenade.matrix import run_matrix
from release_environments import missing

RELEASES = ("17.0.0", "18.0.0", "18.1.0", "21.0.0", "27.0.0")
STRICT_AGENTS = {"18.1.0", "21.0.0"}
WITHOUT_USER_NAME = {"17.0.0", "18.0.0"}

pytestmark = [pytest.mark.rabbitmq, pytest.mark.grenade]


@pytest.fixture(scope="module")
def matrix(rabbitmq, tmp_path_factory):
    result = run_matrix(RELEASES, rabbitmq, progress=print, workdir=tmp_path_factory.mktemp("matrix"))
    if result.unavailable:
        missing("release environments missing: " + "; ".join(f"{r}: {why}" for r, why in result.unavailable))
    return result


def test_strict_agents_lose_every_batch_without_user_name_and_only_those(matrix):
    assert len(matrix.pairs) == len(RELEASES) ** 2
    for pair in matrix.pairs:
        expected_loss = pair.agent in STRICT_AGENTS and pair.polling in WITHOUT_USER_NAME
        assert pair.produced == 50, pair
        assert pair.lost == (50 if expected_loss else 0), pair
        if expected_loss:
            assert any("user_name" in line for line in pair.errors), pair.errors
        else:
            assert pair.signatures_valid == pair.delivered == 50, pair


def test_the_planner_agrees_with_every_pair(matrix):
    wrong = [p for p in matrix.pairs if not p.agrees]
    assert not wrong and matrix.ok, wrong


def test_the_heat_map_shows_every_pair(matrix):
    svg = heatmap_svg(matrix)
    assert svg.count("<rect") == len(RELEASES) ** 2
    assert svg.count(">100%<") == len(STRICT_AGENTS) * len(WITHOUT_USER_NAME) and "%!<" not in svg


def test_the_matrix_command_refuses_bad_release_lists_in_one_line():
    for bad in ("", "nine", "17.0.0,99.0.0"):
        result = subprocess.run([sys.executable, "-m", "ceilocompat", "matrix", "--releases", bad],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and result.stderr.startswith("ceilocompat matrix: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
