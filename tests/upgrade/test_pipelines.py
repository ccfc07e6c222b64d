"""Pipeline fingerprints: what Ceilometer reads, not how the file is written."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import subprocess
import sys

import pytest

from ceilocompat.upgrade.pipelines import (
    FingerprintError,
    canonical_json,
    canonicalize,
    fingerprint_file,
    pipeline_fingerprint,
)

PIPELINE = """\
---
sources:
    - name: meter_source
      meters:
          - "*"
      sinks:
          - meter_sink
    - name: cpu_source
      meters:
          - "cpu"
      sinks:
          - cpu_sink
          - cpu_delta_sink
sinks:
    - name: meter_sink
      transformers:
      publishers:
          - gnocchi://
    - name: cpu_sink
      transformers:
          - name: "rate_of_change"
            parameters:
                target:
                    name: "cpu_util"
                    unit: "%"
                    type: "gauge"
      publishers:
          - gnocchi://
    - name: cpu_delta_sink
      transformers:
          - name: "delta"
            parameters:
                target:
                    name: "cpu.delta"
                growth_only: True
      publishers:
          - gnocchi://
"""

# The same definition: keys reordered, flow style, other quoting, comments,
# sources, sinks, meters and a source's sinks in another order.
PIPELINE_REWRITTEN = """\
# managed by configuration management
sinks:
  - {name: cpu_delta_sink, publishers: ['gnocchi://'],
     transformers: [{parameters: {growth_only: true, target: {name: cpu.delta}}, name: delta}]}
  - name: cpu_sink   # rates
    publishers: [gnocchi://]
    transformers:
      - parameters: {target: {type: gauge, unit: '%', name: cpu_util}}
        name: rate_of_change
  - {transformers: null, publishers: ["gnocchi://"], name: meter_sink}
sources:
  - {sinks: [cpu_delta_sink, cpu_sink], name: cpu_source, meters: [cpu]}
  - {name: meter_source, meters: ['*'], sinks: [meter_sink]}
"""

EVENT_PIPELINE = """\
---
sources:
    - name: event_source
      events:
          - "compute.instance.*"
          - "image.*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - notifier://
"""

#: Fingerprints are compared across hosts, which may run different
#: ceilocompat versions: this value must never change.
PIPELINE_CANONICAL = (
    '{"sinks":[{"name":"cpu_delta_sink","publishers":["gnocchi://"],"transformers":[{"name":"delta",'
    '"parameters":{"growth_only":true,"target":{"name":"cpu.delta"}}}]},{"name":"cpu_sink","publishers":'
    '["gnocchi://"],"transformers":[{"name":"rate_of_change","parameters":{"target":{"name":"cpu_util",'
    '"type":"gauge","unit":"%"}}}]},{"name":"meter_sink","publishers":["gnocchi://"],"transformers":null}],'
    '"sources":[{"meters":["*"],"name":"meter_source","sinks":["meter_sink"]},{"meters":["cpu"],'
    '"name":"cpu_source","sinks":["cpu_delta_sink","cpu_sink"]}]}'
)
PIPELINE_FINGERPRINT = "b9b2c318c699a453cf56885c30f024aba86345f561b54d115873051104a9aac8"


def test_formatting_comments_key_and_set_order_are_ignored():
    assert pipeline_fingerprint(PIPELINE) == pipeline_fingerprint(PIPELINE_REWRITTEN)
    assert canonical_json(PIPELINE) == canonical_json(PIPELINE_REWRITTEN)


def test_fingerprint_is_sha256_of_the_canonical_json_and_stable_across_versions():
    assert canonical_json(PIPELINE) == PIPELINE_CANONICAL
    assert hashlib.sha256(PIPELINE_CANONICAL.encode()).hexdigest() == PIPELINE_FINGERPRINT
    assert pipeline_fingerprint(PIPELINE) == PIPELINE_FINGERPRINT


def test_bytes_and_text_give_the_same_fingerprint():
    assert pipeline_fingerprint(PIPELINE.encode()) == pipeline_fingerprint(PIPELINE)


def test_event_pipeline_events_are_a_set():
    reordered = EVENT_PIPELINE.replace('"compute.instance.*"\n          - "image.*"',
                                       '"image.*"\n          - "compute.instance.*"\n          - "image.*"')
    assert reordered != EVENT_PIPELINE
    assert pipeline_fingerprint(reordered) == pipeline_fingerprint(EVENT_PIPELINE)


@pytest.mark.parametrize("old, new", [
    ('- "cpu"\n', '- "memory.usage"\n'),                    # another meter
    ("gnocchi://\n    - name: cpu_sink", "notifier://\n    - name: cpu_sink"),  # another publisher
    ('name: "cpu_util"', 'name: "cpu_rate"'),                # a transformer parameter
    ("growth_only: True", "growth_only: False"),
    ('- "*"', '- "!cpu"'),                                   # exclusion instead of wildcard
])
def test_a_change_of_content_changes_the_fingerprint(old, new):
    assert PIPELINE.count(old) == 1
    assert pipeline_fingerprint(PIPELINE.replace(old, new)) != pipeline_fingerprint(PIPELINE)


def test_transformer_order_matters():
    chain = """
sinks:
  - name: s
    transformers:
      - {name: unit_conversion}
      - {name: rate_of_change}
    publishers: [notifier://]
"""
    swapped = (chain.replace("unit_conversion", "X").replace("rate_of_change", "unit_conversion")
               .replace("X", "rate_of_change"))
    assert pipeline_fingerprint(swapped) != pipeline_fingerprint(chain)


def test_repeated_publisher_or_sink_is_another_configuration_but_repeated_meter_is_not():
    base = "sources: [{name: s, meters: [cpu], sinks: [k]}]\nsinks: [{name: k, publishers: [a://, b://]}]"
    assert pipeline_fingerprint(base.replace("[a://, b://]", "[b://, a://]")) == pipeline_fingerprint(base)
    assert pipeline_fingerprint(base.replace("[a://, b://]", "[a://, b://, a://]")) != pipeline_fingerprint(base)
    assert pipeline_fingerprint(base.replace("sinks: [k]", "sinks: [k, k]")) != pipeline_fingerprint(base)
    assert pipeline_fingerprint(base.replace("meters: [cpu]", "meters: [cpu, cpu]")) == pipeline_fingerprint(base)


def test_lists_outside_pipeline_fields_keep_their_order():
    assert canonicalize({"resources": ["b", "a"]}) == {"resources": ["b", "a"]}
    assert pipeline_fingerprint("sources: [{name: s, meters: [a], resources: [x, y]}]") != pipeline_fingerprint(
        "sources: [{name: s, meters: [a], resources: [y, x]}]")
    assert pipeline_fingerprint("[b, a]") != pipeline_fingerprint("[a, b]")


def test_yaml_anchors_and_merge_keys_are_resolved():
    with_anchor = """
sinks:
  - &sink {name: k, publishers: [notifier://]}
sources:
  - {name: s, meters: [cpu], sinks: [k]}
"""
    plain = "sinks: [{name: k, publishers: ['notifier://']}]\nsources: [{name: s, meters: [cpu], sinks: [k]}]"
    assert pipeline_fingerprint(with_anchor) == pipeline_fingerprint(plain)


def test_types_are_kept_apart():
    assert pipeline_fingerprint("interval: 600") != pipeline_fingerprint("interval: '600'")
    assert pipeline_fingerprint("flag: true") != pipeline_fingerprint("flag: 'true'")


def test_every_permutation_of_sources_sinks_and_meters_is_equal():
    sources = ["{name: a, meters: [cpu, disk.*], sinks: [x]}", "{name: b, meters: [memory.usage], sinks: [y]}",
               "{name: c, meters: ['*'], sinks: [x, y]}"]
    sinks = ["{name: x, publishers: [notifier://]}", "{name: y, publishers: [gnocchi://, notifier://]}"]
    expected = pipeline_fingerprint(f"sources: [{', '.join(sources)}]\nsinks: [{', '.join(sinks)}]")
    rng = random.Random(5)  # noqa: S311 - shuffles test data, nothing secret
    for order in itertools.permutations(sources):
        shuffled_sinks = rng.sample(sinks, len(sinks))
        text = f"sinks: [{', '.join(shuffled_sinks)}]\nsources: [{', '.join(order)}]"
        assert pipeline_fingerprint(text.replace("[cpu, disk.*]", "[disk.*, cpu]")) == expected


@pytest.mark.parametrize("text, message", [
    ("sources: [", "not valid YAML"),
    ("a: 1\n---\nb: 2\n", "not valid YAML"),
    ("1: cpu", "key 1 is not a string"),
    ("sources: [{interval: .nan}]", "sources[0].interval: nan is not a finite number"),
    ("a: !!binary aGVsbG8=", "a: unsupported value of type bytes"),
])
def test_unusable_documents_raise_fingerprint_error(text, message):
    with pytest.raises(FingerprintError, match=message.replace("[", r"\[").replace("]", r"\]")):
        pipeline_fingerprint(text)


def test_dates_become_iso_text():
    assert canonical_json("since: 2024-06-20") == '{"since":"2024-06-20"}'


def test_files(tmp_path):
    (tmp_path / "a.yaml").write_text(PIPELINE)
    (tmp_path / "b.yaml").write_text(PIPELINE_REWRITTEN)
    assert fingerprint_file(tmp_path / "a.yaml") == fingerprint_file(str(tmp_path / "b.yaml")) == PIPELINE_FINGERPRINT
    (tmp_path / "bad.yaml").write_text("sinks: [")
    with pytest.raises(FingerprintError, match=r"bad\.yaml: not valid YAML"):
        fingerprint_file(tmp_path / "bad.yaml")
    with pytest.raises(FingerprintError, match=r"cannot read .*missing\.yaml"):
        fingerprint_file(tmp_path / "missing.yaml")
    with pytest.raises(FingerprintError, match="cannot read"):
        fingerprint_file(tmp_path)  # a directory


@pytest.mark.interop
def test_meters_are_matched_as_a_set_by_ceilometer_itself(ceilometer_utils):
    """The decision that meters/events lists are sets, checked on Ceilometer's own matcher."""
    from ceilometer import agent  # the fixture skips (or fails in CI) without ceilometer

    names = ["cpu", "disk.read.bytes", "disk.write.bytes", "memory.usage", "image.size"]
    for meters in (["cpu", "disk.*"], ["!cpu", "!disk.read.*"], ["*", "!memory.*"], ["*"]):
        base = [agent.Source.is_supported(meters, n) for n in names]
        for order in itertools.permutations(meters + meters[:1]):
            assert [agent.Source.is_supported(list(order), n) for n in names] == base
        assert canonicalize({"sources": [{"meters": meters}]}) == canonicalize(
            {"sources": [{"meters": list(reversed(meters)) + meters}]})


def run_plan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ceilocompat", "plan", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_prints_one_fingerprint_per_file(tmp_path):
    for name, text in (("a.yaml", PIPELINE), ("b.yaml", PIPELINE_REWRITTEN), ("e.yaml", EVENT_PIPELINE)):
        (tmp_path / name).write_text(text)
    files = [str(tmp_path / n) for n in ("a.yaml", "b.yaml", "e.yaml")]
    result = run_plan("--fingerprint", *files)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"{PIPELINE_FINGERPRINT}  {files[0]}", f"{PIPELINE_FINGERPRINT}  {files[1]}"]
    assert lines[2] == f"{pipeline_fingerprint(EVENT_PIPELINE)}  {files[2]}"
    assert lines[3] == "3 files, 2 distinct fingerprints"
    as_json = json.loads(run_plan("--fingerprint", *files, "--json").stdout)
    assert as_json[0] == {"file": files[0], "fingerprint": PIPELINE_FINGERPRINT}


def test_cli_unreadable_files_exit_2_and_the_others_are_still_printed(tmp_path):
    (tmp_path / "a.yaml").write_text(PIPELINE)
    (tmp_path / "bad.yaml").write_text("sinks: [")
    result = run_plan("--fingerprint", str(tmp_path / "bad.yaml"), str(tmp_path / "a.yaml"),
                      str(tmp_path / "none.yaml"))
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == f"{PIPELINE_FINGERPRINT}  {tmp_path / 'a.yaml'}"
    assert "bad.yaml: not valid YAML" in result.stderr and "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_fingerprint_takes_no_path(tmp_path):
    (tmp_path / "a.yaml").write_text(PIPELINE)
    result = run_plan("--fingerprint", str(tmp_path / "a.yaml"), "--path", "full")
    assert result.returncode == 2 and "--path has no meaning with --fingerprint" in result.stderr
