"""Instruction counts of in-process cases, for ratios that wall-clock noise makes flap.

``python -m benchmarks.instructions [--passes N] [--jobs N] [--check | WORD ...]``
runs each case of :mod:`benchmarks.cases` needed by the ratios whose label
contains one of the words (default: the consumer rows) under ``valgrind
--tool=callgrind``, each in a process of its own (``--jobs`` at a time, one
per CPU by default), and prints the instructions per call and the ratios,
judged like ``python -m benchmarks.ratios`` judges times. A count does not
change when other work shares the machine, and the children hash with
``PYTHONHASHSEED=0`` unless it is set, so two runs give the same figures
(with random hash seeds they move by up to about half a percent); it is not
a time (memory stalls are not in it), which is why the timed ratios stay the
ones CI judges, but for the rows of :data:`COUNTED_TARGETS`, which CI judges
on counts (``--check``) against a tighter target than their timed one, and
whose time a quick ratio run shows without judging it.

Only the calls of the case are counted: collection is switched on by
callgrind inside ``functools.reduce``, which drives the timed loop here and
is called nowhere on the measured paths, and off outside it, so imports,
start-up and building the inputs are left out.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence

import attrs

from benchmarks.ratios import RATIOS, Ratio, rst_table

#: Ratio labels measured when no word is given.
DEFAULT_WORDS = ("CompatBatchEndpoint",)

#: What ``--check`` (CI) judges on instruction counts (each ratio's ``counted_at_most``), with a target tighter
#: than the timed row's: a count leaves out the memory stalls that make the timed row flap (0.97 to 1.23 for a
#: timed target of 1.10), and says whether the decoder does extra work for extra keys, which is the claim.
COUNTED_TARGETS = {r.label: r.counted_at_most for r in RATIOS if r.counted_at_most is not None}
CHECK_PASSES = 5


def count_child(name: str, passes: int) -> int:
    """Run case *name* for *passes* passes over its inputs, inside ``functools.reduce`` (in the valgrind child).

    Gives the number of calls counted (printed on the child's last line).
    """
    from benchmarks.cases import cases

    case = cases()[name]
    run, inputs = case.run, case.inputs

    def one_pass(_done: None, _index: int) -> None:
        for item in inputs:
            run(item)

    one_pass(None, 0)  # warm up: plans, caches, lazy imports
    functools.reduce(one_pass, range(passes), None)
    return passes * len(inputs)


def callgrind(valgrind: str, python_args: Sequence[str]) -> tuple[int, str]:
    """Instructions callgrind counts inside ``functools.reduce`` in ``python *python_args*``, and its stdout."""
    env = {"PYTHONHASHSEED": "0", **os.environ, "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory(prefix="ceilocompat-callgrind-") as out:
        done = subprocess.run(
            [valgrind, "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce",
             f"--callgrind-out-file={out}/callgrind.out", sys.executable, *python_args],
            capture_output=True, text=True, check=False, env=env,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind on python {' '.join(python_args)} failed: {done.stderr.strip()[-2000:]}")
    counted = int(found.group(1))
    if counted == 0:
        raise SystemExit("callgrind counted nothing: this Python has no symbol functools_reduce to switch on at")
    return counted, done.stdout


def instructions(name: str, passes: int, valgrind: str) -> float:
    """Instructions per call of case *name*, counted by callgrind in a process of its own."""
    counted, stdout = callgrind(valgrind, ["-m", "benchmarks.instructions", "--child", name, "--passes", str(passes)])
    calls = int(stdout.split()[-1])
    return counted / calls


def selected_ratios(words: Iterable[str]) -> list[Ratio]:
    words = list(words) or list(DEFAULT_WORDS)
    chosen = [r for r in RATIOS if any(word in r.label for word in words)]
    if not chosen:
        raise SystemExit(f"no ratio label contains any of {words}")
    return chosen


def counted_ratios() -> list[Ratio]:
    """The ratios of :data:`COUNTED_TARGETS`, each held to its counted target."""
    return [attrs.evolve(r, at_most=r.counted_at_most, at_least=None) for r in RATIOS if r.counted_at_most is not None]


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("words", nargs="*", help="measure the ratios whose label contains one of these")
    parser.add_argument("--check", action="store_true",
                        help=f"judge only the rows CI holds to counted targets ({CHECK_PASSES} passes unless given)")
    parser.add_argument("--passes", type=int, help="passes over each case's inputs (default 20)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="cases counted at once (default: one per CPU; counts do not depend on it)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.passes is None:
        args.passes = CHECK_PASSES if args.check else 20
    if args.check and args.words:
        parser.error("--check judges its own rows; give no words with it")
    if args.passes < 1 or args.jobs < 1:
        parser.error("--passes and --jobs must be at least 1")
    if args.child:
        out(str(count_child(args.child, args.passes)))
        return 0
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    chosen = counted_ratios() if args.check else selected_ratios(args.words)
    names = list(dict.fromkeys(name for r in chosen for name in (r.slower, r.faster)))
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        per_call = pool.map(functools.partial(instructions, passes=args.passes, valgrind=valgrind), names)
        counts = dict(zip(names, per_call, strict=True))
    out(f"instructions per call, callgrind, {args.passes} passes over each case's inputs, "
        f"PYTHONHASHSEED={os.environ.get('PYTHONHASHSEED', '0')}; took {time.perf_counter() - started:.0f} s")
    out("")
    out(rst_table(("case", "instructions/call"), [(name, f"{counts[name]:,.0f}") for name in names]))
    out("")
    rows = []
    for ratio in chosen:
        value = counts[ratio.slower] / counts[ratio.faster]
        rows.append((ratio.label, f"{value:.3f}", ratio.target, ratio.verdict(value)))
    out(rst_table(("ratio (instructions / instructions)", "value", "target", "verdict"), rows))
    return 1 if any(row[3] == "FAIL" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
