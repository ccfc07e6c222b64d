"""``ceilocompat environments``: build, cache and report one environment per Ceilometer release.

Each release is installed from PyPI with its series' upper-constraints under
an interpreter its series supports (see :mod:`ceilocompat.grenade.environments`);
a release that does not install or start says why. Built environments are
reused; ``--rebuild`` builds them again.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ceilocompat.cli import arguments
from ceilocompat.cli.exit_codes import ExitCode, refuse
from ceilocompat.cli.tables import format_table
from ceilocompat.grenade.environments import available_releases, build_environment, cache_dir
from ceilocompat.releases import known_release

__all__ = ["command_environments", "register", "release_list"]


def release_list(text: str) -> list[str]:
    """A comma-separated list of Ceilometer releases, each checked."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one release, e.g. 18.0.0,21.0.0,27.0.0")
    try:
        return [str(known_release(name)) for name in names]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def command_environments(args: argparse.Namespace) -> int:
    """Run ``ceilocompat environments`` with parsed arguments."""
    if args.all:
        try:
            releases = available_releases(str(args.oldest))
        except RuntimeError as exc:
            return refuse("environments", f"{exc}; name them with --releases")
    else:
        releases = args.releases
    print(f"environments in {cache_dir()}", file=sys.stderr, flush=True)
    built = []
    for number, release in enumerate(releases, 1):
        print(f"[{number}/{len(releases)}] {release}", file=sys.stderr, flush=True)
        built.append(build_environment(release, rebuild=args.rebuild,
                                       progress=lambda line: print(f"      {line}", file=sys.stderr, flush=True)))
    if args.json:
        print(json.dumps([env.as_dict() for env in built], indent=2))
    else:
        rows = [[env.release, "ready" if env.ok else "FAILED", env.python or "-",
                 env.recipe.removeprefix(f"{env.release} on Python {env.python} ") if env.ok else env.reason,
                 f"{env.seconds:.0f}"] for env in built]
        print(format_table(["release", "status", "python", "how / why not", "seconds"], rows, right=(4,), shrink=(3,)))
        ready = sum(env.ok for env in built)
        print(f"\n{ready} of {len(built)} releases ready")
    return ExitCode.OK if all(env.ok for env in built) else ExitCode.PROBLEMS


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``environments`` command to ``ceilocompat``'s subparsers."""
    parser = subparsers.add_parser(
        "environments",
        help="build and report one environment per Ceilometer release",
        description="Install Ceilometer releases from PyPI, each with its series' upper-constraints and an "
        "interpreter it supports, cache them, and report which install and start.",
        epilog="Exit status: 0 every release ready, 1 some did not install or start, 2 bad usage.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--releases", type=release_list, metavar="R1,R2,...", help="the releases, e.g. 18.0.0,21.0.0")
    which.add_argument("--all", action="store_true", help="every release on PyPI from --oldest on")
    parser.add_argument("--oldest", default="8.1.5", type=arguments.release, metavar="RELEASE",
                        help="with --all: the oldest release (default 8.1.5, the oldest on PyPI)")
    parser.add_argument("--rebuild", action="store_true", help="build again, also releases that failed before")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=command_environments)
    return parser
