"""What is measured: every hot-path case and its peers, built once.

Each :class:`Case` is a function and a pool of inputs. Inputs are fresh
copies parsed from JSON, as a consumer gets them from the bus, and the pool
is cycled so that no case profits from one object staying warm. The
pytest-benchmark suite (``benchmarks/test_hot_path.py``) and the ratio check
(``python -m benchmarks.ratios``) both take their cases from :func:`cases`.

Peers are built to be equivalent, not weaker: the msgspec Structs have the
same fields, types and defaults as the models; the oslo.versionedobjects
object has the same fields, ``resource_metadata`` being the free-form dict
field OpenStack projects use with it (Ironic's ``FlexibleDictField``).
"""

from __future__ import annotations

import ast
import functools
import itertools
import json
import os
import pathlib
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import attrs
import msgpack
import msgspec

import ceilocompat as cc
from ceilocompat import loads, samples_from_payload, unwrap, wrap
from ceilocompat._signing import IMPLEMENTATION, PYTHON

REPO = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(os.environ.get("CEILOCOMPAT_CORPUS", REPO.parent / "shared" / "corpus"))
SECRET = "not-so-secret"
POOL_SIZE = 64
BATCH_SIZE = 50
UNKNOWN_KEY_COUNTS = (5, 20, 100)
EVENT_TRAITS = 10

KILO_SAMPLE_KEYS = frozenset(key for key in cc.Sample.at("1.0").keys)


@attrs.frozen
class Case:
    """One measured operation.

    :param name: short id used by the ratio table and pytest ids.
    :param group: cases compared with each other.
    :param run: called with one input per call.
    :param inputs: the pool of inputs, cycled.
    :param doc: what it is, for the table.
    :param items: samples handled per call (a batch counts 50).
    """

    name: str
    group: str
    run: Callable[[Any], Any]
    inputs: tuple
    doc: str
    items: int = 1


# --- payloads ---------------------------------------------------------------------


def corpus_payload(name: str) -> dict:
    """A corpus file without its ``_``-prefixed description keys."""
    path = CORPUS / name
    if not path.exists():
        raise SystemExit(f"corpus file {path} not found: ../shared/corpus must sit beside the checkout")
    return {k: v for k, v in json.loads(path.read_text()).items() if not k.startswith("_")}


def today_sample() -> dict:
    """The sample dict of 2026.1 as Ceilometer builds it (15 keys, signed)."""
    return corpus_payload("sample-2026.1-signed-not-so-secret.json")


def kilo_sample() -> dict:
    """The same sample with only the twelve keys Kilo sent."""
    return {k: v for k, v in today_sample().items() if k in KILO_SAMPLE_KEYS}


def sample_with_unknown_keys(count: int) -> dict:
    """Today's sample plus *count* keys a newer producer might add."""
    extra = {}
    for i in range(count):
        extra[f"added_by_a_newer_release_{i}"] = [f"value-{i}", i, float(i), None, {"nested": i}][i % 5]
    return {**today_sample(), **extra}


def ceilometer_publisher_utils() -> Any:
    """``ceilometer.publisher.utils`` from ceilometer 27 (the interop extra)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eventlet's deprecation notice, via oslo.service
        from ceilometer.publisher import utils
    return utils


def signed_event(traits: int | None = None) -> dict:
    """The 2026.1 instance delete event (16 traits), or its first *traits*, signed."""
    ceilometer_utils = ceilometer_publisher_utils()
    event = corpus_payload("event-2026.1-instance-delete-signed-not-so-secret.json")
    if traits is not None:
        event["traits"] = event["traits"][:traits]
        event.pop("message_signature")
        event["message_signature"] = ceilometer_utils.compute_signature(event, SECRET)
    return event


def fresh_copies(document: Any, count: int = POOL_SIZE) -> tuple:
    """*count* independent copies of *document*, each parsed from JSON."""
    text = json.dumps(document)
    return tuple(json.loads(text) for _ in range(count))


def ceilometer_polling_payload(count: int = BATCH_SIZE) -> dict:
    """*count* disk samples as ceilometer 27's polling agent publishes them (``{"samples": [...]}``, signed)."""
    ceilometer_utils = ceilometer_publisher_utils()
    from ceilometer import sample as ceilometer_sample

    samples = [
        ceilometer_utils.meter_message_from_counter(
            ceilometer_sample.Sample(
                name="disk.device.read.bytes", type="cumulative", unit="B", volume=i * 4096, user_id="u-1",
                project_id="p-1", resource_id=f"vm-{i % 7}-vda", timestamp="2026-11-20T09:32:36.521082",
                resource_metadata={"flavor": {"name": "m1.tiny", "vcpus": 1}, "disk_name": "vda"},
                source="openstack", monotonic_time=float(i), user_name="alice", project_name="demo",
            ),
            SECRET,
            "ceilometer.polling",
        )
        for i in range(count)
    ]
    return {"samples": samples}


# --- consumers ---------------------------------------------------------------------


class EndpointCall:
    """Hands a payload to a :class:`~ceilocompat.CompatBatchEndpoint` as oslo.messaging's batch dispatcher does.

    Each call is a one-message batch under a new message id (an endpoint
    acknowledges a message id it handled before without decoding it again).
    """

    def __init__(self, policy: cc.ConsumerPolicy) -> None:
        self.handled = 0
        self.endpoint = cc.CompatBatchEndpoint(cc.POLLING_ROUTE, self._handle, policy=policy)
        self._call = getattr(self.endpoint, cc.POLLING_ROUTE.priority)
        self._ids = map(str, itertools.count()).__next__

    def _handle(self, items: list, delivery: cc.Delivery) -> None:
        self.handled += len(items)

    def __call__(self, payload: dict) -> Any:
        metadata = {"message_id": self._ids(), "timestamp": "2026-11-20 09:32:36.612345"}
        return self._call([{"ctxt": {}, "publisher_id": "ceilometer.polling", "event_type": cc.POLLING_ROUTE.event_type,
                            "payload": payload, "metadata": metadata}])


def _from_wire_each(payload: dict) -> list:
    from_wire = cc.Sample.from_wire
    return [from_wire(sample) for sample in payload["samples"]]


def _verify_and_from_wire_each(payload: dict) -> list:
    from_wire, verify = cc.Sample.from_wire, cc.verify_signature
    return [from_wire(sample) for sample in payload["samples"] if verify(sample, SECRET)]


# --- peers -------------------------------------------------------------------------


class SampleStruct(msgspec.Struct):
    """msgspec's equivalent of :class:`ceilocompat.Sample`."""

    counter_name: str
    counter_type: str
    counter_unit: str
    counter_volume: float | None
    resource_id: str
    timestamp: str
    source: str | None = "openstack"
    user_id: str | None = None
    user_name: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    resource_metadata: dict = {}
    message_id: str | None = None
    monotonic_time: float | None = None
    publisher_id: str | None = None
    message_signature: str | None = None


class TraitStruct(msgspec.Struct, array_like=True):
    """A ``[name, dtype, value]`` trait."""

    name: str
    dtype: int
    value: Any


class EventStruct(msgspec.Struct):
    """msgspec's equivalent of :class:`ceilocompat.Event`."""

    message_id: str
    event_type: str
    generated: str
    traits: list[TraitStruct] = []
    raw: dict = {}
    message_signature: str | None = None


class EnvelopeStruct(msgspec.Struct):
    """The oslo.messaging 2.0 body, and the notification inside it."""

    oslo_message: str = msgspec.field(name="oslo.message")
    oslo_version: str = msgspec.field(name="oslo.version")


class SampleNotificationStruct(msgspec.Struct):
    event_type: str
    payload: list[SampleStruct]
    message_id: str | None = None
    publisher_id: str | None = None
    priority: str | None = None
    timestamp: str | None = None


@functools.cache
def versioned_sample_class() -> type:
    """An oslo.versionedobjects object with the sample's fields."""
    from oslo_versionedobjects import base
    from oslo_versionedobjects import fields as ovo_fields

    class FlexibleDict(ovo_fields.FieldType):
        """Ironic's free-form dict field type: text is parsed, a dict copied."""

        def coerce(self, obj: Any, attr: str, value: Any) -> dict:
            if isinstance(value, str):
                value = ast.literal_eval(value)
            return dict(value)

    class FlexibleDictField(ovo_fields.AutoTypedField):
        AUTO_TYPE = FlexibleDict()

    @base.VersionedObjectRegistry.register
    class BenchmarkSample(base.VersionedObject):
        VERSION = "1.2"
        OBJ_PROJECT_NAMESPACE = "ceilocompat.benchmarks"
        fields: ClassVar[dict[str, Any]] = {
            "source": ovo_fields.StringField(nullable=True),
            "counter_name": ovo_fields.StringField(),
            "counter_type": ovo_fields.StringField(),
            "counter_unit": ovo_fields.StringField(),
            "counter_volume": ovo_fields.FloatField(nullable=True),
            "user_id": ovo_fields.StringField(nullable=True),
            "user_name": ovo_fields.StringField(nullable=True),
            "project_id": ovo_fields.StringField(nullable=True),
            "project_name": ovo_fields.StringField(nullable=True),
            "resource_id": ovo_fields.StringField(),
            "timestamp": ovo_fields.StringField(),
            "resource_metadata": FlexibleDictField(nullable=True),
            "message_id": ovo_fields.StringField(nullable=True),
            "monotonic_time": ovo_fields.FloatField(nullable=True),
            "publisher_id": ovo_fields.StringField(nullable=True),
            "message_signature": ovo_fields.StringField(nullable=True),
        }

    return BenchmarkSample


def versioned_sample_primitive(wire: dict) -> dict:
    """What oslo.versionedobjects would put on the bus for *wire*."""
    cls = versioned_sample_class()
    return cls(**wire).obj_to_primitive()


def versioned_sample_from_primitive(primitive: dict) -> Any:
    return versioned_sample_class().obj_from_primitive(primitive)


# --- the cases ---------------------------------------------------------------------


def _decode_bytes_sample(data: bytes) -> cc.Sample:
    return cc.Sample.from_wire(loads(data)[0])


def _decode_envelope(body: bytes) -> list:
    return samples_from_payload(unwrap(body).payload)


def _msgspec_envelope(body: bytes) -> list:
    envelope = msgspec.json.decode(body, type=EnvelopeStruct)
    return msgspec.json.decode(envelope.oslo_message, type=SampleNotificationStruct).payload


def _json_envelope(body: bytes) -> Any:
    return json.loads(json.loads(body)["oslo.message"])


_untyped_json = msgspec.json.Decoder().decode
_untyped_msgpack = msgspec.msgpack.Decoder().decode


def _untyped_json_sample(data: bytes) -> cc.Sample:
    return cc.Sample.from_wire(_untyped_json(data))


def _untyped_msgpack_sample(data: bytes) -> cc.Sample:
    return cc.Sample.from_wire(_untyped_msgpack(data))


def _untyped_envelope(body: bytes) -> list:
    from_wire = cc.Sample.from_wire
    return [from_wire(item) for item in _untyped_json(_untyped_json(body)["oslo.message"])["payload"]]


def _bytes_pool(document: Any, encode: Callable[[Any], bytes]) -> tuple:
    return tuple(encode(copy) for copy in fresh_copies(document))


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document).encode()


def _msgpack_bytes(document: Any) -> bytes:
    return msgpack.packb(document, use_bin_type=True)


def _msgspec_json_sample(data: bytes) -> SampleStruct:
    return msgspec.json.decode(data, type=SampleStruct)


def _msgspec_msgpack_sample(data: bytes) -> SampleStruct:
    return msgspec.msgpack.decode(data, type=SampleStruct)


def _unpackb(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False)


def _convert_sample(wire: dict) -> SampleStruct:
    return msgspec.convert(wire, SampleStruct)


def _convert_event(wire: dict) -> EventStruct:
    return msgspec.convert(wire, EventStruct)


def _event_traits_read(wire: dict) -> tuple:
    return cc.Event.from_wire(wire).traits


def _convert_batch(payload: dict) -> list:
    return msgspec.convert(payload["samples"], list[SampleStruct])


def _call_with_secret(sign: Callable[[dict, str], Any], message: dict) -> Any:
    return sign(message, SECRET)


@functools.cache
def cases() -> dict[str, Case]:
    """Every case by name, in the order the table prints them."""
    ceilometer_utils = ceilometer_publisher_utils()
    today = today_sample()
    body = wrap(
        {
            "message_id": "3a2b6a0e-7c1c-4b7e-9a51-0d4a1f0f2f10",
            "publisher_id": "telemetry.publisher.compute-0",
            "event_type": "metering",
            "priority": "SAMPLE",
            "payload": [today],
            "timestamp": "2026-01-20 09:32:36.521082",
        }
    )
    batch = fresh_copies({"samples": [today] * BATCH_SIZE}, 8)
    samples, kilo = fresh_copies(today), fresh_copies(kilo_sample())
    events, events16 = fresh_copies(signed_event(EVENT_TRAITS)), fresh_copies(signed_event())
    plus = {n: fresh_copies(sample_with_unknown_keys(n)) for n in UNKNOWN_KEY_COUNTS}
    primitives = fresh_copies(versioned_sample_primitive(today))
    json_bytes = _bytes_pool(today, _json_bytes)
    msgpack_bytes = _bytes_pool(today, _msgpack_bytes)
    bodies = _bytes_pool(body, _json_bytes)
    polling = fresh_copies(ceilometer_polling_payload(), 8)
    endpoint_off = EndpointCall(cc.ConsumerPolicy())
    endpoint_verify = EndpointCall(cc.ConsumerPolicy(signatures="verify", secret=SECRET))
    endpoint_requiring = EndpointCall(cc.ConsumerPolicy(require_resource_id=True))
    ceilometer_verify = functools.partial(_call_with_secret, ceilometer_utils.verify_signature)
    ceilometer_compute = functools.partial(_call_with_secret, ceilometer_utils.compute_signature)
    verify = functools.partial(_call_with_secret, cc.verify_signature)
    verify_reference = functools.partial(_call_with_secret, PYTHON.verify_signature)
    ours, reference = f"ceilocompat.verify_signature ({IMPLEMENTATION})", "ceilocompat's pure-Python reference"
    compute = functools.partial(_call_with_secret, cc.compute_signature)
    from_dict, from_json, from_msgpack = "dict -> Sample", "JSON bytes -> Sample", "msgpack bytes -> Sample"
    from_body, batches = "RabbitMQ body -> Sample", "batch of 50 -> Samples"
    consumer = "consumer, 50 ceilometer 27 samples"
    event_in, verify_10 = f"Event, {EVENT_TRAITS} traits", f"verify event, {EVENT_TRAITS} traits"
    verify_16 = "verify event, 16 traits"
    from_wire = cc.Sample.from_wire
    # name, group, run, inputs, what
    rows = [
        ("from_wire", from_dict, from_wire, samples, "Sample.from_wire, today's 15 keys"),
        ("from_wire_kilo", from_dict, from_wire, kilo, "Kilo's 12 keys"),
        *((f"from_wire_plus_{n}", from_dict, from_wire, plus[n], f"today's keys + {n} unknown")
          for n in UNKNOWN_KEY_COUNTS),
        ("msgspec_convert", from_dict, _convert_sample, samples, "msgspec.convert(dict, Struct)"),
        ("msgspec_convert_plus_100", from_dict, _convert_sample, plus[100], "msgspec.convert, + 100 unknown"),
        ("ovo_from_primitive", from_dict, versioned_sample_from_primitive, primitives,
         "oslo.versionedobjects obj_from_primitive"),
        ("json_to_sample", from_json, _decode_bytes_sample, json_bytes, "envelope.loads + from_wire"),
        ("msgspec_json", from_json, _msgspec_json_sample, json_bytes, "msgspec.json.decode(bytes, type=Struct)"),
        ("json_loads", from_json, json.loads, json_bytes, "json.loads (floor)"),
        ("untyped_json_to_sample", from_json, _untyped_json_sample, json_bytes,
         "untyped msgspec.json.decode + from_wire (floor)"),
        ("msgpack_to_sample", from_msgpack, _decode_bytes_sample, msgpack_bytes, "envelope.loads + from_wire"),
        ("msgspec_msgpack", from_msgpack, _msgspec_msgpack_sample, msgpack_bytes,
         "msgspec.msgpack.decode(bytes, type=Struct)"),
        ("msgpack_unpackb", from_msgpack, _unpackb, msgpack_bytes, "msgpack.unpackb (floor)"),
        ("untyped_msgpack_to_sample", from_msgpack, _untyped_msgpack_sample, msgpack_bytes,
         "untyped msgspec.msgpack.decode + from_wire"),
        ("envelope_to_samples", from_body, _decode_envelope, bodies, "unwrap + samples_from_payload"),
        ("msgspec_envelope", from_body, _msgspec_envelope, bodies, "msgspec, envelope then notification"),
        ("json_envelope", from_body, _json_envelope, bodies, "json.loads twice (floor)"),
        ("untyped_envelope_to_samples", from_body, _untyped_envelope, bodies,
         "untyped msgspec.json.decode twice + from_wire (floor)"),
        ("batch_of_50", batches, samples_from_payload, batch, "samples_from_payload"),
        ("msgspec_batch_of_50", batches, _convert_batch, batch, "msgspec.convert(list, list[Struct])"),
        ("event_from_wire", event_in, cc.Event.from_wire, events, "Event.from_wire"),
        ("event_traits_read", event_in, _event_traits_read, events, "Event.from_wire, then its traits read"),
        ("msgspec_event", event_in, _convert_event, events, "msgspec.convert(dict, Struct)"),
        ("verify_sample", "verify sample", verify, samples, ours),
        ("verify_sample_reference", "verify sample", verify_reference, samples, reference),
        ("ceilometer_verify_sample", "verify sample", ceilometer_verify, samples, "ceilometer 27 verify_signature"),
        ("verify_event", verify_10, verify, events, ours),
        ("verify_event_reference", verify_10, verify_reference, events, reference),
        ("ceilometer_verify_event", verify_10, ceilometer_verify, events, "ceilometer 27 verify_signature"),
        ("verify_event_16", verify_16, verify, events16, ours),
        ("verify_event_16_reference", verify_16, verify_reference, events16, reference),
        ("ceilometer_verify_event_16", verify_16, ceilometer_verify, events16, "ceilometer 27 verify_signature"),
        ("endpoint_batch_of_50", consumer, endpoint_off, polling, "CompatBatchEndpoint, signatures off"),
        ("from_wire_each_of_50", consumer, _from_wire_each, polling, "Sample.from_wire on each sample"),
        ("endpoint_requiring_batch_of_50", consumer, endpoint_requiring, polling,
         "CompatBatchEndpoint, require_resource_id=True"),
        ("endpoint_verified_batch_of_50", consumer, endpoint_verify, polling,
         "CompatBatchEndpoint, signatures verified"),
        ("verify_from_wire_each_of_50", consumer, _verify_and_from_wire_each, polling,
         "verify_signature and Sample.from_wire on each sample"),
        ("compute_sample", "compute signature", compute, samples, "ceilocompat.compute_signature"),
        ("ceilometer_compute_sample", "compute signature", ceilometer_compute, samples,
         "ceilometer 27 compute_signature"),
    ]
    listed = [Case(*row, items=BATCH_SIZE if row[3] is batch or row[3] is polling else 1) for row in rows]
    return {case.name: case for case in listed}
