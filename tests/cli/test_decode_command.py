"""The command line, run as users run it: a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import msgpack

import ceilocompat as cc
from ceilocompat import frame
from conftest import CORPUS, corpus_json


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ceilocompat", *args], input=stdin, capture_output=True, timeout=120
    )


def test_example_capture_decodes_with_a_table_and_summary():
    result = run("decode", "--example", "--secret", cc.DEFAULT_SECRET)
    out = result.stdout.decode()
    assert result.returncode == 1, "the bundled capture holds one broken sample on purpose"
    assert "5 decoded, 1 undecodable, 0 with a signature that does not verify" in out
    assert "samples[0].counter_volume: must be a number" in out
    assert "memory.usage" in out and "compute.instance.delete.start" in out


def test_corpus_files_json_output():
    files = [str(CORPUS / name) for name in ("sample-2026.1-signed-not-so-secret.json",
                                             "event-pike-image-delete-py2-signed.json")]
    result = run("decode", "--json", "--secret", "not-so-secret", *files)
    rows = json.loads(result.stdout)
    assert [r["kind"] for r in rows] == ["sample", "event"]
    assert rows[0]["signature"] == "valid" and rows[1]["signature"] == "INVALID"
    assert rows[0]["wire"] == corpus_json("sample-2026.1-signed-not-so-secret.json")
    assert result.returncode == 1


def test_legacy_signatures_are_reported_as_such():
    event = str(CORPUS / "event-pike-image-delete-py2-signed.json")
    result = run("decode", "--json", "--legacy", "--secret", cc.DEFAULT_SECRET, event)
    assert json.loads(result.stdout)[0]["signature"] == "valid (legacy)"
    assert result.returncode == 0


def test_msgpack_frames_from_stdin():
    wire = corpus_json("sample-2026.1-signed-not-so-secret.json")
    result = run("decode", "--json", "-", stdin=frame(wire) + frame(wire))
    rows = json.loads(result.stdout)
    assert len(rows) == 2 and all(r["wire"] == wire for r in rows)
    assert result.returncode == 0


def test_garbage_gets_a_clear_message_per_input(tmp_path):
    (tmp_path / "bad.bin").write_bytes(b"\xc1\xff garbage")
    good = tmp_path / "good.msgpack"
    good.write_bytes(msgpack.packb(corpus_json("sample-pike-string-volume-no-message-id.json"), use_bin_type=False))
    result = run("decode", str(tmp_path / "bad.bin"), str(good))
    out = result.stdout.decode()
    assert "bad.bin: cannot decode" in out and "1 decoded, 1 undecodable" in out
    assert result.returncode == 1
    assert "Traceback" not in result.stderr.decode()


def test_missing_file_and_usage_errors():
    assert run("decode", "/nonexistent/file.json").returncode == 2
    assert run("decode").returncode == 2
    assert run().returncode == 2


def test_a_closed_pipe_ends_quietly(tmp_path):
    many = tmp_path / "many.json"
    many.write_text(json.dumps([corpus_json("sample-2026.1-signed-not-so-secret.json")] * 2000))
    proc = subprocess.Popen([sys.executable, "-m", "ceilocompat", "decode", "--json", str(many)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # like ``| head -1``: far more output than a pipe holds is still to come
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()[-2000:]
    assert proc.returncode == 0
