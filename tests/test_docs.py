"""The documentation builds without warnings and every example in it runs."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("builder", ["html", "doctest"])
def test_docs_build_with_warnings_as_errors(builder, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder, str(DOCS), str(tmp_path / builder)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]


def test_developer_guide_layer_table_is_the_layer_rule():
    """The layer table of docs/guides/developers.rst lists tests/test_layers.py's LAYERS, in order."""
    from test_layers import LAYERS

    text = (DOCS / "guides" / "developers.rst").read_text()
    table = text.split("\nLayers\n------\n", 1)[1].split(".. list-table::", 1)[1].split("\nWhere new code goes", 1)[0]
    rows = re.findall(r"^   \* - (.+)\n     - (.+)$", table, re.M)[1:]  # the header row aside
    documented = [(name, tuple(re.findall(r"``([^`]+)``", modules))) for name, modules in rows]
    expected = [(name, tuple("ceilocompat" if m == "ceilocompat" else m.removeprefix("ceilocompat.") for m in modules))
                for name, modules in LAYERS]
    assert documented == expected
