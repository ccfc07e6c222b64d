"""Unit tests for ceilocompat.partitioning: partition queues, the stable partition hash, group ids."""

from __future__ import annotations

import doctest
import hashlib
import json
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceilocompat import partitioning
from ceilocompat.partitioning import IPC_SCHEME, PIPE_SCHEME
from conftest import REPO, subprocess_env


def test_doctests_pass():
    result = doctest.testmod(partitioning, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0


# --------------------------------------------------------------------------
# Partition hashing

_KEY_PART = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False) | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)
_KEY = st.lists(_KEY_PART, max_size=4)


def _spec_index(canonical: bytes, count: int) -> int:
    # The algorithm as documented, written out independently.
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "big") % count


@pytest.mark.parametrize("key,canonical", [
    (["res-1"], b'["res-1"]'),
    ("res-1", b'["res-1"]'),
    (("e4b0c1f2-resource", "cpu"), b'["e4b0c1f2-resource","cpu"]'),
    ([None, True, 1, 1.5, "1"], b'[null,true,1,1.5,"1"]'),
    ([b"\x00\xff"], b'[{"b":"00ff"}]'),
    (["\u00fcn\u00efcode", 42], '["ünïcode",42]'.encode()),
    ([["nested", 1], "x"], b'[["nested",1],"x"]'),
    ([], b"[]"),
])
def test_partition_key_encoding_and_index_follow_the_documented_algorithm(key, canonical):
    assert partitioning.partition_key_bytes(key) == canonical
    for count in (1, 2, 7, 10, 1000):
        assert partitioning.partition_index(key, count) == _spec_index(canonical, count)


def test_partition_index_golden_values_never_change():
    # Deployed agents depend on these: changing them reroutes live data.
    assert [partitioning.partition_index(["res-1"], 10),
            partitioning.partition_index(["e4b0c1f2-resource", "cpu"], 10),
            partitioning.partition_index([None], 10),
            partitioning.partition_index(["res-1"], 1000),
            partitioning.partition_index([1.0], 7)] == [1, 3, 1, 771, 0]


@settings(max_examples=300, deadline=None)
@given(key=_KEY, count=st.integers(min_value=1, max_value=10_000))
def test_partition_index_is_in_range_and_matches_the_spec(key, count):
    index = partitioning.partition_index(key, count)
    assert 0 <= index < count
    canonical = json.dumps(
        json.loads(partitioning.partition_key_bytes(key)), ensure_ascii=False,
        separators=(",", ":")).encode()
    assert index == _spec_index(canonical, count)


def test_partition_index_distinguishes_types_python_hash_conflates():
    # hash(1) == hash(1.0) == hash(True); the wire key types differ.
    encodings = {partitioning.partition_key_bytes([v]) for v in (1, 1.0, True, "1")}
    assert len(encodings) == 4


def test_partition_index_spreads_keys():
    counts = [0] * 10
    for i in range(20_000):
        counts[partitioning.partition_index([f"resource-{i}"], 10)] += 1
    assert min(counts) > 1700 and max(counts) < 2300, counts


@pytest.mark.parametrize("count", [0, -1, True, 1.5, "10", None])
def test_partition_index_rejects_bad_counts(count):
    with pytest.raises(ValueError):
        partitioning.partition_index(["k"], count)


def test_partition_index_rejects_bad_parts():
    with pytest.raises(TypeError):
        partitioning.partition_index([{"a": 1}], 10)
    with pytest.raises(TypeError):
        partitioning.partition_index([object()], 10)
    with pytest.raises(ValueError):
        partitioning.partition_index([float("nan")], 10)
    # Sets iterate in hash() order, which differs between processes.
    for unordered in ({"a", "b"}, frozenset({"a"}), {"a": 1}, [{"a"}]):
        with pytest.raises(TypeError):
            partitioning.partition_index(unordered, 10)
    assert partitioning.partition_index(iter(["a", "b"]), 10) == partitioning.partition_index(["a", "b"], 10)


_CROSS_PROCESS_SCRIPT = textwrap.dedent("""
    import json
    from ceilocompat.partitioning import partition_index
    keys = [[f"resource-{i}", "cpu" if i % 2 else None, i] for i in range(3000)]
    keys += [f"instance-{i}" for i in range(1000)]
    print(json.dumps({
        "stable": [partition_index(k, 10) for k in keys],
        "builtin_hash": [hash(f"instance-{i}") % 10 for i in range(1000)],
    }))
""")


def _run_with_hashseed(seed: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CROSS_PROCESS_SCRIPT],
        env=subprocess_env(PYTHONHASHSEED=seed), capture_output=True, text=True,
        timeout=120, cwd=str(REPO),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_partition_index_is_identical_across_processes_with_different_hash_seeds():
    a, b = _run_with_hashseed("1"), _run_with_hashseed("4242")
    # The control: Python's hash() (what Ceilometer used) does disagree.
    assert a["builtin_hash"] != b["builtin_hash"]
    assert a["stable"] == b["stable"]
    assert len(a["stable"]) == 4000
    # And the subprocesses agree with this process.
    assert a["stable"][:3000] == [
        partitioning.partition_index([f"resource-{i}", "cpu" if i % 2 else None, i], 10)
        for i in range(3000)]


# --------------------------------------------------------------------------
# Releases and partition schemes


@pytest.mark.parametrize("release,scheme", [
    ("2015.1.0", None), ("kilo", None), ("4.0.0", None),
    ("5.0.0", PIPE_SCHEME), ("6.1.0", PIPE_SCHEME), ("7.0.0", PIPE_SCHEME),
    ("8.1.2", PIPE_SCHEME), ("9.0.0", PIPE_SCHEME), ("pike", PIPE_SCHEME),
    ("9.0.1.dev4", PIPE_SCHEME),
    ("10.0.0", IPC_SCHEME), ("10.0.0.0b2", IPC_SCHEME), ("11.1.0", IPC_SCHEME),
    ("Rocky", IPC_SCHEME),
    ("12.0.0", None), ("13.0.0", None), ("18.1.0", None), ("20.0.0", None),
    ("2023.1", None), ("2026.1", None), ("27.0.0", None), ("gazpacho", None),
])
def test_partition_scheme_by_release(release, scheme):
    assert partitioning.partition_scheme(release) is scheme


@pytest.mark.parametrize("bad", ["", "abc", "v9", "2019.3", "1999.1", "9..0"])
def test_partition_scheme_rejects_non_releases(bad):
    with pytest.raises(ValueError):
        partitioning.partition_scheme(bad)
    with pytest.raises(TypeError):
        partitioning.partition_scheme(9)  # type: ignore[arg-type]


def test_partition_queue_names():
    assert PIPE_SCHEME.queue_name("meter_source:meter_sink", 0) == "ceilometer-pipe-meter_source:meter_sink-0"
    assert IPC_SCHEME.queue_name("event", 9) == "ceilometer_ipc-event-9"
    assert IPC_SCHEME.queue_names("sample", 3) == [
        "ceilometer_ipc-sample-0", "ceilometer_ipc-sample-1", "ceilometer_ipc-sample-2"]
    assert len(PIPE_SCHEME.queue_names("p")) == 10  # pipeline_processing_queues default
    with pytest.raises(ValueError):
        IPC_SCHEME.queue_name("meter_source:meter_sink", 0)
    for bad in (-1, True, 1.0):
        with pytest.raises(ValueError):
            PIPE_SCHEME.queue_name("p", bad)
    with pytest.raises(ValueError):
        PIPE_SCHEME.queue_names("p", 0)


def test_partition_coordination_groups_follow_the_v2_rename():
    assert PIPE_SCHEME.coordination_group == "ceilometer.notification"
    assert IPC_SCHEME.coordination_group == "ceilometer.notification.v2"
    assert partitioning.versioned_group_id(PIPE_SCHEME.coordination_group, 2) == IPC_SCHEME.coordination_group


@pytest.mark.parametrize("a,b,ok", [
    ("5.0.0", "6.0.0", True),
    ("7.0.0", "9.0.0", True),
    ("6.0.0", "7.0.0", False),   # publisher_id filter since 7.0.0
    ("9.0.0", "10.0.0", False),  # queues renamed
    ("10.0.0", "11.0.0", True),
    ("11.0.0", "12.0.0", False),  # 12.0.0 never reads the ipc queues
    ("12.0.0", "2024.1", True),   # neither partitions
    ("kilo", "liberty", False),
])
def test_schemes_can_share_queues(a, b, ok):
    assert partitioning.schemes_can_share_queues(a, b) is ok
    assert partitioning.schemes_can_share_queues(b, a) is ok
    problem = partitioning.queue_sharing_problem(a, b)
    assert (problem is None) is ok
    if problem:
        assert a in problem and b in problem


# --------------------------------------------------------------------------
# Coordination group ids


@pytest.mark.parametrize("args,expected", [
    ((["central"], "global"), "central-global"),
    (("central", "global"), "central-global"),
    ((["compute"], "host-1"), "compute-host-1"),
    ((["ipmi", "central"], "global"), "central-ipmi-global"),
    ((("central", "compute"), "global", "pfx"), "central-compute-pfx-global"),
    ((["central"], "global", ""), "central-global"),
    (([], "global"), "central-compute-global"),
    ((None, "global"), "central-compute-global"),
    ((["compute"], "LocalNode-host-1", "new"), "compute-new-LocalNode-host-1"),
])
def test_polling_group_id(args, expected):
    assert partitioning.polling_group_id(*args) == expected


def test_polling_group_id_rejects_no_group():
    with pytest.raises(ValueError):
        partitioning.polling_group_id(["central"], None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        partitioning.polling_group_id(["central"], "")
    with pytest.raises(TypeError):
        partitioning.polling_group_id([3], "global")  # type: ignore[list-item]


@pytest.mark.parametrize("base,version,expected", [
    ("central-global", 1, "central-global"),
    ("central-global", "1.7", "central-global"),
    ("central-global", 2, "central-global.v2"),
    ("central-global", "3.1", "central-global.v3"),
    ("ceilometer.notification", 2, "ceilometer.notification.v2"),
])
def test_versioned_group_id(base, version, expected):
    assert partitioning.versioned_group_id(base, version) == expected


def test_versioned_group_ids_keep_major_versions_apart():
    ids = {partitioning.versioned_group_id("central-global", v) for v in (1, 2, 3, "2.5")}
    assert ids == {"central-global", "central-global.v2", "central-global.v3"}


@pytest.mark.parametrize("base,version", [
    ("g", 0), ("g", -2), ("g", "two"), ("g", "2.x"), ("g", True), ("g.v2", 3), ("", 2),
])
def test_versioned_group_id_rejects(base, version):
    with pytest.raises((ValueError, TypeError)):
        partitioning.versioned_group_id(base, version)
