"""Ctrl-C ends a long command quietly: one line, exit 130, no traceback, no hang."""

from __future__ import annotations

import signal
import subprocess
import sys
import time


def test_an_interrupted_rehearsal_stops_its_services_and_says_so():
    proc = subprocess.Popen([sys.executable, "-m", "ceilocompat", "rehearse", "--samples", "200000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the walk has begun
        line = proc.stderr.readline()
        if line.startswith("[1/"):
            break
    proc.send_signal(signal.SIGINT)
    try:
        _out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the rehearsal did not end within 60 s of Ctrl-C") from None
    assert proc.returncode == 130, err[-2000:]
    assert err.rstrip().endswith("ceilocompat: interrupted") and "Traceback" not in err, err[-2000:]
