"""``ceilocompat environments``, run as users run it, on a cache prepared by the test."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str, cache) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, "CEILOCOMPAT_RELEASES_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "ceilocompat", "environments", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def remembered_failure(cache, release: str, reason: str) -> None:
    (cache / release).mkdir(parents=True)
    (cache / release / "failed.json").write_text(json.dumps({
        "release": release, "ok": False, "attempts": [f"{release} on Python 3.11 with zed constraints: {reason}"]}))


def test_a_release_that_did_not_install_says_why_and_fails_the_command(tmp_path):
    remembered_failure(tmp_path, "19.0.0", "ERROR: Failed to build 'yappi'")
    result = run("--releases", "19.0.0", cache=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "19.0.0   FAILED" in result.stdout and "Failed to build 'yappi'" in result.stdout
    assert "0 of 1 releases ready" in result.stdout and "Traceback" not in result.stderr
    assert all(len(line) <= 100 for line in result.stdout.splitlines())
    report = json.loads(run("--releases", "19.0.0", "--json", cache=tmp_path).stdout)
    assert report[0]["ok"] is False and "yappi" in report[0]["reason"]


def test_bad_release_lists_are_refused_with_one_line(tmp_path):
    for bad in ("", "nine", "18.0.0,99.0.0"):
        result = run("--releases", bad, cache=tmp_path)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("ceilocompat environments: ")
    assert run(cache=tmp_path).returncode == 2
