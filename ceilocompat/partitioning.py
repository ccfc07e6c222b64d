"""Workload partitioning: Ceilometer's partition queues, a stable partition hash, group ids.

* :class:`PartitionScheme`, :func:`partition_scheme` and
  :func:`schemes_can_share_queues` describe Ceilometer's historical
  workload-partitioning queues (5.0.0 to 11.x) and whether agents of two
  releases can share them;
* :func:`partition_index` chooses a partition with a hash that is the same
  in every process (Ceilometer used ``hash()``, which is not);
* :func:`polling_group_id` and :func:`versioned_group_id` name the tooz
  coordination groups polling agents join.

>>> partition_scheme("9.0.0").queue_name("meter_sink", 3)
'ceilometer-pipe-meter_sink-3'
>>> partition_index(["e4b0c1f2-resource", "cpu"], 10)
3
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable

from ceilocompat._errors import check_name as _check_name
from ceilocompat.releases import parse_release

__all__ = [
    "IPC_SCHEME",
    "PIPE_SCHEME",
    "PartitionScheme",
    "partition_index",
    "partition_key_bytes",
    "partition_scheme",
    "polling_group_id",
    "queue_sharing_problem",
    "schemes_can_share_queues",
    "versioned_group_id",
]

@dataclasses.dataclass(frozen=True)
class PartitionScheme:
    """One generation of notification-agent workload-partitioning queues.

    Queues are ``<prefix>-<name>-<index>``: *name* is the pipeline name
    (5.0.0 to 9.x) or ``sample``/``event`` (10.0.0 to 11.x). The agents of
    a generation share a tooz hash ring named :attr:`coordination_group`.

    >>> PIPE_SCHEME.queue_name("meter_source:meter_sink", 3)
    'ceilometer-pipe-meter_source:meter_sink-3'
    >>> IPC_SCHEME.queue_names("sample", 2)
    ['ceilometer_ipc-sample-0', 'ceilometer_ipc-sample-1']
    """

    name: str
    queue_prefix: str
    first_major: int
    last_major: int
    coordination_group: str
    #: Allowed queue-name middles, or empty for any pipeline name.
    kinds: tuple[str, ...] = ()

    def queue_name(self, name: str, index: int) -> str:
        """The queue (topic) of partition *index* for *name*.

        >>> IPC_SCHEME.queue_name("pipeline", 0)
        Traceback (most recent call last):
        ...
        ValueError: ceilometer_ipc queues are per 'sample' or 'event', not 'pipeline'
        """
        _check_name("name", name)
        if self.kinds and name not in self.kinds:
            raise ValueError(
                f"{self.queue_prefix} queues are per "
                f"{' or '.join(repr(k) for k in self.kinds)}, not {name!r}"
            )
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"partition index must be an int >= 0, not {index!r}")
        return f"{self.queue_prefix}-{name}-{index}"

    def queue_names(self, name: str, count: int = 10) -> list[str]:
        """All *count* queues for *name* (``pipeline_processing_queues``).

        >>> len(PIPE_SCHEME.queue_names("p"))
        10
        """
        _check_count(count)
        return [self.queue_name(name, i) for i in range(count)]


PIPE_SCHEME = PartitionScheme(
    "pipe", "ceilometer-pipe", 5, 9, "ceilometer.notification")
IPC_SCHEME = PartitionScheme(
    "ipc", "ceilometer_ipc", 10, 11, "ceilometer.notification.v2",
    kinds=("sample", "event"))
_SCHEMES = (PIPE_SCHEME, IPC_SCHEME)
#: 7.0.0 filtered partition messages on publisher_id, which 6.x did not set.
_PUBLISHER_FILTER_MAJOR = 7


def partition_scheme(release: str) -> PartitionScheme | None:
    """The partitioning queue scheme of a Ceilometer release, or ``None``.

    Accepts every spelling :func:`~ceilocompat.releases.parse_release` reads:
    versions (``9.0.0``, ``10.0.0.0rc1``), series (``2023.1``) and code names
    (``pike``). Partitioning did not exist before 5.0.0 and was
    removed in 12.0.0.

    >>> partition_scheme("9.0.0").queue_prefix
    'ceilometer-pipe'
    >>> partition_scheme("11.1.0").queue_prefix
    'ceilometer_ipc'
    >>> partition_scheme("2023.1") is None
    True
    """
    major = parse_release(release).major
    for scheme in _SCHEMES:
        if scheme.first_major <= major <= scheme.last_major:
            return scheme
    return None


def queue_sharing_problem(release_a: str, release_b: str) -> str | None:
    """Why agents of two releases cannot share partitioning queues, or None.

    >>> print(queue_sharing_problem("9.0.0", "10.0.0"))  # doctest: +NORMALIZE_WHITESPACE
    9.0.0 uses ceilometer-pipe-* queues but 10.0.0 uses ceilometer_ipc-* queues:
    samples published by one are never read by the other
    >>> queue_sharing_problem("10.0.0", "11.0.0") is None
    True
    """
    a, b = partition_scheme(release_a), partition_scheme(release_b)
    if a is None:
        return None if b is None else _unpartitioned(release_a, release_b, b)
    if b is None:
        return _unpartitioned(release_b, release_a, a)
    if a is not b:
        return (
            f"{release_a} uses {a.queue_prefix}-* queues but {release_b} uses "
            f"{b.queue_prefix}-* queues: samples published by one are never "
            "read by the other"
        )
    filtered_a = parse_release(release_a).major >= _PUBLISHER_FILTER_MAJOR
    filtered_b = parse_release(release_b).major >= _PUBLISHER_FILTER_MAJOR
    if filtered_a != filtered_b:
        old, new = (release_a, release_b) if filtered_b else (release_b, release_a)
        return (
            f"{new} filters partitioning messages on publisher_id, which {old} "
            f"does not set: {new} acknowledges and drops what {old} publishes"
        )
    return None


def _unpartitioned(without: str, with_: str, scheme: PartitionScheme) -> str:
    return (
        f"{without} has no workload partitioning queues but {with_} "
        f"publishes to {scheme.queue_prefix}-* queues that {without} never reads"
    )


def schemes_can_share_queues(release_a: str, release_b: str) -> bool:
    """Whether notification agents of two releases can share partition queues.

    True when both use the same queue names and read what the other writes
    (or neither partitions at all).

    >>> schemes_can_share_queues("7.0.0", "9.0.0")
    True
    >>> schemes_can_share_queues("6.0.0", "7.0.0")
    False
    >>> schemes_can_share_queues("9.0.0", "10.0.0")
    False
    >>> schemes_can_share_queues("2023.1", "27.0.0")
    True
    """
    return queue_sharing_problem(release_a, release_b) is None


def _check_count(count: object) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"partition count must be an int >= 1, not {count!r}")
    return count


def _canonical_part(part: object) -> object:
    if part is None or isinstance(part, (str, bool, int, float)):
        return part
    if isinstance(part, (bytes, bytearray)):
        return {"b": bytes(part).hex()}
    if isinstance(part, (list, tuple)):
        return [_canonical_part(p) for p in part]
    raise TypeError(
        f"partition key parts must be str, bytes, int, float, bool, None or "
        f"lists of them, not {type(part).__name__}"
    )


def partition_key_bytes(key_parts: object) -> bytes:
    """The canonical encoding :func:`partition_index` hashes.

    Compact JSON (UTF-8, no ASCII escaping) of the list of parts; bytes
    become ``{"b": hex}``. A single ``str`` or ``bytes`` is one part.

    >>> partition_key_bytes(["res-1", None, 3])
    b'["res-1",null,3]'
    >>> partition_key_bytes("res-1")
    b'["res-1"]'
    """
    if isinstance(key_parts, (str, bytes, bytearray)):
        parts: list[object] = [key_parts]
    elif isinstance(key_parts, (set, frozenset, dict)):
        # Their iteration order depends on hash(): the very thing to avoid.
        raise TypeError(f"partition key parts must be ordered, not a {type(key_parts).__name__}")
    elif isinstance(key_parts, Iterable):
        parts = list(key_parts)
    else:
        raise TypeError(f"partition key parts must be a string, bytes or a list, not {type(key_parts).__name__}")
    canonical = _canonical_part(parts)
    try:
        text = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False)
    except ValueError:
        raise ValueError("partition key parts must not contain NaN or infinity") from None
    return text.encode("utf-8", "surrogatepass")


def partition_index(key_parts: object, count: int) -> int:
    """The partition (0 to count - 1) for a grouping key, stable everywhere.

    The index is the BLAKE2b (8-byte digest) of :func:`partition_key_bytes`,
    read as a big-endian unsigned integer, modulo *count*: the same in every
    process, Python version and language, unlike Ceilometer's ``hash()``.

    >>> partition_index(["e4b0c1f2-resource", "cpu"], 10)
    3
    >>> partition_index("e4b0c1f2-resource", 1)
    0
    """
    _check_count(count)
    digest = hashlib.blake2b(partition_key_bytes(key_parts), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


# --------------------------------------------------------------------------
# Coordination group ids


def polling_group_id(namespaces: str | Iterable[str], group: str,
                     partitioning_group_prefix: str | None = None) -> str:
    """The tooz group a polling agent joins, built like Ceilometer does.

    ``AgentManager``: sorted namespaces joined by ``-``, then the
    ``[polling] partitioning_group_prefix`` if set, then the discovery's
    group id. No namespaces means Ceilometer's default ``compute, central``.

    >>> polling_group_id(["central"], "global")
    'central-global'
    >>> polling_group_id("compute", "host-1")
    'compute-host-1'
    >>> polling_group_id(["ipmi", "central"], "global", "v2pollsters")
    'central-ipmi-v2pollsters-global'
    """
    names = [namespaces] if isinstance(namespaces, str) else list(namespaces or ())
    if not names:
        names = ["compute", "central"]
    for n in names:
        _check_name("namespace", n)
    if group is None:
        raise ValueError("group is None: such a discovery joins no partitioning group")
    _check_name("group", group)
    prefix = "-".join(sorted(names))
    if partitioning_group_prefix:
        prefix = f"{prefix}-{partitioning_group_prefix}"
    return f"{prefix}-{group}"


_VERSION_SUFFIX_RE = re.compile(r"\.v\d+\Z")


def versioned_group_id(base: str, model_version: int | str) -> str:
    """*base* made distinct per major model version, Ceilometer style.

    Version 1 is the bare name and version N adds ``.vN``, as Ceilometer
    renamed ``ceilometer.notification`` to ``ceilometer.notification.v2`` in
    10.0.0 so old and new agents would not share a hash ring. Only the major
    part of a ``"2.3"`` version counts: minor versions only add fields and
    are meant to share a ring.

    >>> versioned_group_id("ceilometer.notification", 2)
    'ceilometer.notification.v2'
    >>> versioned_group_id("central-global", "1.4")
    'central-global'
    """
    _check_name("base", base)
    if _VERSION_SUFFIX_RE.search(base):
        raise ValueError(f"group id {base!r} is already versioned")
    if isinstance(model_version, bool):
        raise TypeError("model_version must be an int or a 'major.minor' str")
    if isinstance(model_version, int):
        major = model_version
    elif isinstance(model_version, str) and re.fullmatch(r"\d+(\.\d+)*", model_version):
        major = int(model_version.split(".", 1)[0])
    else:
        raise ValueError(f"model_version must be an int or a 'major.minor' str, not {model_version!r}")
    if major < 1:
        raise ValueError(f"model version must be >= 1, not {model_version!r}")
    return base if major == 1 else f"{base}.v{major}"
