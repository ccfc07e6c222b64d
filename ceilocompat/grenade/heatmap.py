"""A picture of the compatibility matrix: lost share by pair, as an SVG heat map.

Rows are polling releases, columns notification agent releases; a cell's
colour runs from green (nothing lost) to red (everything lost), and a cell
where the planner's prediction and what happened disagree is framed in
black and marked ``!``.

>>> from ceilocompat.grenade.matrix import Matrix, PairOutcome
>>> m = Matrix(("17.0.0", "21.0.0"), (PairOutcome("17.0.0", "21.0.0", 50, 0, 0, (), ("strict-consumer",)),))
>>> svg = heatmap_svg(m)
>>> svg.startswith("<svg") and "100%" in svg
True
"""

from __future__ import annotations

from html import escape

from ceilocompat.grenade.matrix import Matrix

__all__ = ["heatmap_svg"]

_LABEL, _TOP = 70, 100


def _cell_size(count: int) -> tuple[int, int]:
    """Cell side and font size: large cells for a few releases, smaller ones (still legible) for many."""
    return (56, 11) if count <= 12 else (32, 9)


def _colour(lost_share: float) -> str:
    share = min(1.0, max(0.0, lost_share))
    red, green = int(60 + 180 * share), int(170 - 120 * share)
    return f"rgb({red},{green},70)"


def heatmap_svg(matrix: Matrix) -> str:
    """The matrix as an SVG document (a string)."""
    releases = list(matrix.releases)
    cell, font = _cell_size(len(releases))
    width, height = _LABEL + cell * len(releases) + 70, _TOP + cell * len(releases) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           'font-size="11">',
           '<text x="8" y="16" font-size="13">lost share of a polling batch</text>',
           '<text x="8" y="32">rows: polling release; columns: notification agent release</text>']
    for i, release in enumerate(releases):
        x = _LABEL + i * cell + cell / 2
        out.append(f'<text x="{x}" y="{_TOP - 8}" text-anchor="start" transform="rotate(-45 {x} {_TOP - 8})">'
                   f'{escape(release)}</text>')
        out.append(f'<text x="{_LABEL - 6}" y="{_TOP + i * cell + cell / 2 + 4}" text-anchor="end">'
                   f'{escape(release)}</text>')
    for row, polling in enumerate(releases):
        for column, agent in enumerate(releases):
            x, y = _LABEL + column * cell, _TOP + row * cell
            pair = matrix.pair(polling, agent)
            if pair is None or pair.produced == 0:
                out.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="#ddd" stroke="#fff"/>')
                out.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle">n/a</text>')
                continue
            share = pair.lost / pair.produced
            frame = ' stroke="#000" stroke-width="3"' if not pair.agrees else ' stroke="#fff"'
            out.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{_colour(share)}"{frame}>'
                       f'<title>polling {escape(polling)}, agent {escape(agent)}: {pair.lost} of {pair.produced} '
                       f'lost; planner: {escape(", ".join(pair.predicted) or "no loss")}</title></rect>')
            mark = "!" if not pair.agrees else ""
            out.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" fill="#fff" '
                       f'font-size="{font}">'
                       f'{round(100 * share)}%{mark}</text>')
    out.append(f'<text x="{_LABEL}" y="{height - 12}">! = the planner predicted otherwise</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
