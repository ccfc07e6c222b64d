"""``decode``, ``check``, ``plan`` and ``--version`` as a new user runs them: one clear line per mistake."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import ceilocompat as cc
from conftest import corpus_json


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ceilocompat", *args], capture_output=True, text=True, timeout=120)


def one_line_usage_error(result: subprocess.CompletedProcess, command: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout[-1000:], result.stderr[-1000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ceilocompat {command}: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("args, says", [
    (["check", "--oldest-release", "99.1"], "newer than any Ceilometer release ceilocompat knows"),
    (["decode", "--legacy", "capture.jsonl"], "give --secret too"),
    (["decode", "--example", "/does/not/exist"], "takes no FILE"),
    (["decode", "--max-body-bytes", "lots", "x.json"], "argument --max-body-bytes: must be a whole number"),
])
def test_mistakes_are_refused_with_one_line(args, says):
    assert says in one_line_usage_error(run(*args), args[0])


@pytest.mark.parametrize("text", ["", "a: 1\n", "- just\n- a list\n"])
def test_fingerprint_of_what_is_not_a_pipeline_definition(tmp_path, text):
    (tmp_path / "pipeline.yaml").write_text(text)
    line = one_line_usage_error(run("plan", "--fingerprint", str(tmp_path / "pipeline.yaml")), "plan")
    assert "not a pipeline definition" in line


@pytest.mark.parametrize("text", ["null", '"hello"', "123"])
def test_json_that_is_not_a_payload_is_called_json(tmp_path, text):
    (tmp_path / "doc.json").write_text(text + "\n")
    result = run("decode", str(tmp_path / "doc.json"))
    assert result.returncode == 1
    assert "JSON, but not a payload: expected an object or a list of samples or events" in result.stdout
    assert "neither JSON nor msgpack" not in result.stdout
    assert "origin" not in result.stdout, "no empty table before a total failure"


@pytest.mark.parametrize("name", ["empty.json", "empty.jsonl", "blank.jsonl"])
def test_an_input_with_nothing_in_it_is_a_problem_whatever_its_name(tmp_path, name):
    (tmp_path / name).write_text("\n\n" if name.startswith("blank") else "")
    result = run("decode", str(tmp_path / name))
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["0 decoded, 1 undecodable", f"no samples or events in {tmp_path / name}"]


@pytest.mark.parametrize("secret", [[], ["--secret", cc.DEFAULT_SECRET, "--legacy"]])
def test_the_decode_table_fits_100_columns_and_keeps_names_whole(tmp_path, secret):
    deep = tmp_path / ("a-rather-long-directory-name" * 3)
    deep.mkdir()
    capture = deep / "capture.jsonl"
    capture.write_text(json.dumps(corpus_json("event-pike-image-delete-py2-signed.json")) + "\n")
    result = run("decode", "--example", *secret)
    mine = run("decode", str(capture), *secret)
    lines = result.stdout.splitlines() + mine.stdout.splitlines()
    table = [line for line in lines if "  " in line]
    assert table and all(len(line) <= 100 for line in table), max(table, key=len)
    assert "compute.instance.delete.start" in result.stdout and "memory.usage" in result.stdout
    assert str(deep) not in mine.stdout.split("\n\n")[0], "the table shows file names, not directories"
    assert "capture.jsonl:1" in mine.stdout


def test_max_body_bytes_is_an_option_and_too_large_input_names_it(tmp_path):
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps(corpus_json("sample-2026.1-signed-not-so-secret.json")))
    small = run("decode", "--max-body-bytes", "100", str(sample))
    assert small.returncode == 1
    assert "larger than the 100-byte limit: raise it with --max-body-bytes" in small.stdout
    assert run("decode", "--max-body-bytes", "100000", str(sample)).returncode == 0
    assert "--max-body-bytes" in run("decode", "--help").stdout


def test_legacy_help_says_python_2_producers():
    help_text = " ".join(run("decode", "--help").stdout.split())
    assert "Python 2" in help_text and "13.0.0" in help_text
    assert "Ceilometer < 8.0.0" not in help_text


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"ceilocompat {cc.__version__}"


def test_stray_arguments_are_one_line_for_that_command():
    assert "unrecognized arguments: --frob" in one_line_usage_error(run("decode", "--example", "--frob"), "decode")

