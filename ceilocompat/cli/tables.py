"""The one table printer of the command line: aligned columns that fit the terminal width.

Cells too long for their share of the width are cut in the middle with an
ellipsis, so both the start and the end of a path or an id stay readable.

>>> print(format_table(["name", "count"], [["cpu", 3], ["disk.read.bytes", 12]], right=(1,)))
name             count
---------------  -----
cpu                  3
disk.read.bytes     12
>>> len(format_table(["path"], [["/a/very/" + "long/" * 40 + "file.json"]], width=40).splitlines()[2])
40

``shrink`` names the columns that may be cut (any, by default), widest first:

>>> print(format_table(["name", "id"], [["compute.instance.delete.start", "a15b94ee-cb8e-4c71"]], width=40,
...                    shrink=(1,)))
name                           id
-----------------------------  ---------
compute.instance.delete.start  a15b…4c71
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["WIDTH", "format_table", "shorten_middle"]

#: Widest line a table prints.
WIDTH = 100
_GAP = "  "
_MIN_COLUMN = 8


def shorten_middle(text: str, width: int) -> str:
    """*text* cut to *width* characters with ``…`` in the middle.

    >>> shorten_middle("ceilometer-pipe-meter_source:meter_sink-3", 20)
    'ceilometer…er_sink-3'
    """
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    head = (width - 1) // 2 + (width - 1) % 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def _fit(widths: list[int], header: Sequence[str], width: int, shrink: Sequence[int]) -> list[int]:
    """Narrow the widest of the *shrink* columns until the row fits *width* (never below a header or the minimum)."""
    widths = list(widths)
    floor = [min(w, max(len(h), _MIN_COLUMN)) for w, h in zip(widths, header, strict=True)]
    while sum(widths) + len(_GAP) * (len(widths) - 1) > width:
        widest = max(shrink, key=lambda i: widths[i] - floor[i])
        if widths[widest] <= floor[widest]:
            break
        widths[widest] -= 1
    return widths


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[int] = (),
                 width: int = WIDTH, shrink: Sequence[int] | None = None) -> str:
    """*rows* under *header*, columns aligned (those in *right* to the right), at most *width* wide.

    Only the columns in *shrink* (default: all) are cut to fit.
    """
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    natural = [max(len(row[i]) for row in cells) for i in range(len(header))]
    widths = _fit(natural, header, width, range(len(header)) if shrink is None else shrink)

    def line(row: list[str]) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(row, widths, strict=False)):
            cell = shorten_middle(cell, w)
            out.append(cell.rjust(w) if i in right else cell.ljust(w))
        return _GAP.join(out).rstrip()

    lines = [line(cells[0]), _GAP.join("-" * w for w in widths)]
    lines += [line(row) for row in cells[1:]]
    return "\n".join(lines)
