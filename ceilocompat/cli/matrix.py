"""``ceilocompat matrix``: every polling release against every notification agent release, for real.

Starts a private RabbitMQ (needs ``rabbitmq-server``), builds or reuses the
environment of each release, runs each release's own notification agent
and feeds it one batch from the polling side of every release, then prints
per pair what was produced, delivered, lost, how many signatures verified,
the agent's errors and what ``ceilocompat plan`` predicts. A pair where the
prediction and what happened disagree is marked and the command exits 1.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

from ceilocompat.cli import arguments
from ceilocompat.cli.environments import release_list
from ceilocompat.cli.exit_codes import ExitCode, refuse
from ceilocompat.cli.rehearse import private_broker
from ceilocompat.cli.tables import format_table
from ceilocompat.grenade.heatmap import heatmap_svg
from ceilocompat.grenade.matrix import Matrix, run_matrix

__all__ = ["command_matrix", "format_matrix", "register"]


def format_matrix(matrix: Matrix) -> str:
    """The matrix as a table, one row per pair (with the last error the agent logged), and a verdict."""
    rows = [[p.polling, p.agent, p.produced, p.delivered, p.lost, p.signatures_valid,
             ", ".join(p.predicted) or "no loss", "yes" if p.agrees else "NO", p.errors[-1] if p.errors else "-"]
            for p in matrix.pairs]
    table = format_table(["polling", "agent", "sent", "got", "lost", "signed", "plan says", "agrees",
                          "agent's last error"], rows, right=(2, 3, 4, 5), shrink=(8,))
    lines = [table, "", "sent: samples of the polling side's batch, as seen on the bus; got: samples the agent",
             "republished; signed: of those, the signatures that verify", ""]
    lines += [f"{release}: no environment ({why})" for release, why in matrix.unavailable]
    disagree = sum(not p.agrees for p in matrix.pairs)
    pairs = f"{len(matrix.pairs)} pair{'s' if len(matrix.pairs) != 1 else ''}"
    verdict = f"{disagree} pair(s) the planner gets wrong" if disagree else "the planner agrees with every pair"
    lines.append(f"{pairs} of {len(matrix.releases)} releases in {matrix.seconds:.0f} s: {verdict}")
    return "\n".join(lines)


def command_matrix(args: argparse.Namespace) -> int:
    """Run ``ceilocompat matrix`` with parsed arguments."""
    try:
        with private_broker() as broker:
            matrix = run_matrix(args.releases, broker, wait=args.wait,
                                progress=lambda line: print(line, file=sys.stderr, flush=True))
    except (OSError, RuntimeError) as exc:
        return refuse("matrix", str(exc))
    if args.svg:
        args.svg.write_text(heatmap_svg(matrix))
        print(f"heat map written to {args.svg}", file=sys.stderr)
    print(json.dumps(matrix.as_dict(), indent=2) if args.json else format_matrix(matrix))
    return ExitCode.OK if matrix.ok else ExitCode.PROBLEMS


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``matrix`` command to ``ceilocompat``'s subparsers."""
    parser = subparsers.add_parser(
        "matrix",
        help="run every pair of real releases (polling side, notification agent) and check the planner",
        description="Run each release's own notification agent against the polling side of every release on a "
        "private RabbitMQ, and compare what was lost with what ceilocompat plan predicts.",
        epilog="Exit status: 0 the planner agrees with every pair, 1 it does not or a release has no "
        "environment, 2 bad usage or no broker.",
    )
    parser.add_argument("--releases", type=release_list, required=True, metavar="R1,R2,...",
                        help="the releases, e.g. 17.0.0,18.1.0,21.0.0,27.0.0")
    parser.add_argument("--wait", type=arguments.positive_seconds, default=30.0, metavar="SECONDS",
                        help="longest wait for an agent's output after the batches (default 30)")
    parser.add_argument("--svg", type=pathlib.Path, metavar="FILE", help="also write a heat map of lost share")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=command_matrix)
    return parser
