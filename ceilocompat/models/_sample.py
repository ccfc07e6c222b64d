"""The sample model: one metering datum as Ceilometer puts it on the bus.

Ceilometer's sample dict (``meter_message_from_counter``) has never lost or
renamed a key since Kilo; it gained ``monotonic_time`` in 9.0.0 (backported
to the stable point releases 7.1.0 and 8.1.0) and ``user_name``/``project_name``
(and ``publisher_id``, only when set) in 20.0.0 (backported to 18.1.0 and
19.1.0). ``tests/models/test_release_table.py`` holds this table to the
samples the releases' own code makes.

>>> s = Sample.from_wire({"counter_name": "cpu", "counter_type": "cumulative",
...                       "counter_unit": "ns", "counter_volume": "2",
...                       "resource_id": "vm-1", "timestamp": "2012-05-08 20:23:48",
...                       "added_by_a_newer_release": True})
>>> s.counter_volume, s.user_name
(2.0, None)
>>> s.to_wire()["counter_volume"], s.to_wire()["added_by_a_newer_release"]
('2', True)

``resource_id`` is always sent but may be null: it reads as None and is
relayed as received, but ceilocompat never writes a null of its own (readers
of sample models 1.0 to 1.2 as released refuse it):

>>> nameless = Sample.from_wire({**s.received, "resource_id": None})
>>> nameless.resource_id, nameless.to_wire()["resource_id"]
(None, None)
>>> Sample(counter_name="cpu", counter_type="gauge", counter_unit="%", counter_volume=1,
...        resource_id=None, timestamp="2012-05-08 20:23:48").to_wire()
Traceback (most recent call last):
ceilocompat.DecodeError: resource_id: is read but never written (readers of kind 'string' refuse it) (got None)
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import attrs

from ceilocompat._timestamps import parse_timestamp
from ceilocompat.models._fields import ModelVersion, wire_field
from ceilocompat.models._kinds import (
    MAPPING,
    OPTIONAL_NUMBER,
    OPTIONAL_STRING,
    STRING,
    STRING_OR_NULL_ON_READ,  # resource_id: null is read, never written
    TIMESTAMP,
    VOLUME,
)
from ceilocompat.models._wiremodel import WireModel, wire_model

#: Sample types Ceilometer itself produces; others are accepted from foreign producers.
SAMPLE_TYPES = ("gauge", "delta", "cumulative")

SAMPLE_VERSIONS = (
    ModelVersion("1.0", release="2015.1.0", series="kilo", note="the twelve keys of Kilo"),
    ModelVersion("1.1", release="9.0.0", series="pike", also_in=("7.1.0", "8.1.0"), note="adds monotonic_time"),
    ModelVersion(
        "1.2",
        release="20.0.0",
        series="2023.1",
        also_in=("18.1.0", "19.1.0"),
        note="adds user_name, project_name, and publisher_id when the publisher passes one",
    ),
)


def _new_message_id() -> str:
    return str(uuid.uuid1())


@wire_model("sample", SAMPLE_VERSIONS)
@attrs.define(kw_only=True, on_setattr=attrs.setters.NO_OP)
class Sample(WireModel):
    """A metering sample. Attribute names are the wire keys.

    Build one in Python as Ceilometer's ``Sample`` would be built; it encodes
    exactly as ``meter_message_from_counter`` encodes it.
    """

    source: str | None = wire_field(
        OPTIONAL_STRING, since="1.0", default="openstack", doc="Sample source (``[DEFAULT] sample_source``)."
    )
    counter_name: str = wire_field(STRING, since="1.0", required=True, doc="Meter name.")
    counter_type: str = wire_field(
        STRING,
        since="1.0",
        required=True,
        doc="gauge, delta or cumulative; other values from foreign producers are kept.",
    )
    counter_unit: str = wire_field(
        STRING,
        since="1.0",
        required=True,
        doc="Unit of the volume.",
        meaning="2026.1 (26.0.0) spells size units MiB/GiB where older releases said MB/GB.",
    )
    counter_volume: float | None = wire_field(
        VOLUME,
        since="1.0",
        required=True,
        doc="The measured value; numeric strings decode to a float, null to None.",
    )
    user_id: str | None = wire_field(OPTIONAL_STRING, since="1.0", doc="Keystone user id.")
    user_name: str | None = wire_field(OPTIONAL_STRING, since="1.2", doc="Keystone user name.")
    project_id: str | None = wire_field(OPTIONAL_STRING, since="1.0", doc="Keystone project id.")
    project_name: str | None = wire_field(OPTIONAL_STRING, since="1.2", doc="Keystone project name.")
    resource_id: str | None = wire_field(
        STRING_OR_NULL_ON_READ,
        since="1.0",
        required=True,
        doc=(
            "Measured resource. Always sent, but null in some real samples (Ceilometer's ``Sample`` "
            "accepts None): null reads as None and is relayed as received; ceilocompat writes only "
            "strings. ``ConsumerPolicy(require_resource_id=True)`` rejects null."
        ),
    )
    timestamp: str = wire_field(
        TIMESTAMP,
        since="1.0",
        required=True,
        doc="When measured, exactly as received; see ``timestamp_utc``.",
        meaning="Since 7.0.0 polled samples carry the start of the polling cycle.",
    )
    resource_metadata: dict[str, Any] = wire_field(
        MAPPING, since="1.0", default_factory=dict, doc="Free-form resource attributes."
    )
    message_id: str | None = wire_field(
        OPTIONAL_STRING,
        since="1.0",
        new_value=_new_message_id,
        doc="Unique id; absent in some old payloads (None), a fresh uuid1 for samples built in Python.",
    )
    monotonic_time: float | None = wire_field(
        OPTIONAL_NUMBER,
        since="1.1",
        doc="Monotonic clock of the polling agent; the notification agent sends null.",
    )
    publisher_id: str | None = wire_field(
        OPTIONAL_STRING,
        since="1.2",
        omit_when_none=True,
        doc="Publisher identity; on the wire only when the publisher passes one.",
    )
    message_signature: str | None = wire_field(
        OPTIONAL_STRING, since="1.0", doc="HMAC-SHA256 over every other key (see ceilocompat.verify_signature)."
    )

    @property
    def timestamp_utc(self) -> datetime.datetime:
        """``timestamp`` as an aware UTC datetime (raises DecodeError if unparsable)."""
        return parse_timestamp(self.timestamp, "timestamp")

    @property
    def is_standard_type(self) -> bool:
        """True for the sample types Ceilometer itself produces."""
        return self.counter_type in SAMPLE_TYPES
