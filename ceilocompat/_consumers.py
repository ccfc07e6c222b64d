"""Compat consumers: oslo.messaging endpoints that hand decoded models to you.

A :class:`CompatEndpoint` sits where collector or notification code used to
index payload dicts by hand. It accepts every payload shape Ceilometer sends,
decodes each item on its own, optionally checks signatures, and gives your
handler a list of :class:`~ceilocompat.Sample` or :class:`~ceilocompat.Event`.
Bad input never raises into oslo.messaging and never loops: it is dropped,
dead-lettered with its raw payload, or requeued a bounded number of times,
and every outcome is counted.

>>> import ceilocompat as cc
>>> got = []
>>> endpoint = CompatEndpoint(cc.SAMPLE_ROUTE, lambda items, delivery: got.extend(items))
>>> endpoint.sample({}, "telemetry.publisher.h1", "metering",
...                 [{"counter_name": "cpu", "counter_type": "gauge", "counter_unit": "%",
...                   "counter_volume": 1, "resource_id": "r", "timestamp": "2024-01-01T00:00:00"},
...                  {"counter_name": "broken"}],
...                 {"message_id": "m-1", "timestamp": "2024-01-01 00:00:00"})
'handled'
>>> [s.counter_name for s in got], endpoint.counters.snapshot()["rejected"]
(['cpu'], {'decode': 1})
"""

from __future__ import annotations

import collections
import collections.abc
import enum
import functools
import json
import logging
import re
import threading
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from ceilocompat._errors import DecodeError, shorten
from ceilocompat._key_shapes import KeyShapes
from ceilocompat._messaging import oslo_messaging
from ceilocompat._payload import Rejected, decode_each
from ceilocompat._signing import verify_signature
from ceilocompat.models import Sample, WireModel, model_named
from ceilocompat.routing import Route, notification_listener

LOG = logging.getLogger(__name__)

REQUEUE = oslo_messaging.NotificationResult.REQUEUE
HANDLED = oslo_messaging.NotificationResult.HANDLED

#: How many message ids the try counter remembers (oldest forgotten first).
TRY_MEMORY = 10_000


class OnBadInput(str, enum.Enum):
    """What happens to an item that does not decode or verify."""

    DROP = "drop"  #: counted and logged with the reason, then acknowledged
    DEAD_LETTER = "dead-letter"  #: handed to the dead-letter sink with its raw payload
    REQUEUE = "requeue"  #: redelivered up to ``max_tries`` deliveries, then dead-lettered


class Signatures(str, enum.Enum):
    """Signature checking of received items."""

    OFF = "off"
    VERIFY = "verify"
    VERIFY_LEGACY = "verify-legacy"  #: also accept Python 2 era signatures


@attrs.frozen
class DeadLetter:
    """An item (or a whole message) given up on, with everything to replay it."""

    reason: str  #: "decode", "signature", "handler" or "unclaimed"
    detail: str
    raw: Any
    event_type: str | None
    publisher_id: str | None
    message_id: str | None
    tries: int

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def log_dead_letter(dead: DeadLetter) -> None:
    """The default sink: one ERROR log line carrying the raw payload as JSON."""
    LOG.error(
        "dead letter (%s: %s) from %s, message %s after %d tries: %s",
        dead.reason, dead.detail, dead.publisher_id, dead.message_id, dead.tries,
        json.dumps(dead.raw, default=repr)[:1_000_000],
    )


class _MessageMemory:
    """A count per message id, remembering the newest *size* ids (``TRY_MEMORY`` by default)."""

    def __init__(self, size: int = TRY_MEMORY) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._counts: collections.OrderedDict[str, int] = collections.OrderedDict()

    def add(self, message_id: str | None) -> int:
        """Count one more sighting of *message_id*; return its count."""
        if message_id is None:
            return 1
        counts = self._counts
        self._lock.acquire()
        try:
            count = counts.pop(message_id, 0) + 1
            counts[message_id] = count
            while len(counts) > self.size:
                counts.popitem(last=False)
            return count
        finally:
            self._lock.release()

    def __contains__(self, message_id: str | None) -> bool:
        self._lock.acquire()
        try:
            return message_id in self._counts
        finally:
            self._lock.release()

    def forget(self, message_id: str | None) -> None:
        if message_id is None:  # never counted (see add)
            return
        self._lock.acquire()
        try:
            self._counts.pop(message_id, None)
        finally:
            self._lock.release()


class RecentMessageIds:
    """The newest *size* message ids taken by consumers, for de-duplicating redeliveries.

    RabbitMQ delivers at least once: a message whose acknowledgement was lost
    (a consumer's connection dropped, a queue leader failed over) comes
    again with the same message id. Endpoints whose policy holds one
    :class:`RecentMessageIds` share it, so a redelivery to any of them in
    this process is acknowledged without a second handler call and counted
    as ``duplicates``. Memory is bounded: the oldest ids are forgotten first.

    >>> seen = RecentMessageIds(2)
    >>> [seen.claim(m) for m in ("a", "b", "a", "c", "b")]  # "b" was forgotten for "c"
    [True, True, False, True, True]
    """

    def __init__(self, size: int = TRY_MEMORY) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"de-duplication needs room for at least 1 message id, not {size!r}")
        self._memory = _MessageMemory(size)

    @property
    def size(self) -> int:
        return self._memory.size

    def claim(self, message_id: str) -> bool:
        """Take *message_id*: True the first time (remembered from now on), False for a duplicate."""
        with self._memory._lock:
            counts = self._memory._counts
            if message_id in counts:
                counts.move_to_end(message_id)
                return False
        return self._memory.add(message_id) == 1

    def release(self, message_id: str) -> None:
        """Forget *message_id* (its message was requeued, so its next delivery is not a duplicate)."""
        self._memory.forget(message_id)

    def __repr__(self) -> str:
        return f"RecentMessageIds({self.size})"


def _deduplicator(value: Any) -> RecentMessageIds | None:
    if value is None or value is False or isinstance(value, RecentMessageIds):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return RecentMessageIds(value) if value else None
    raise ValueError(f"deduplicate must be a number of message ids or a RecentMessageIds, not {value!r}")


@attrs.frozen
class ConsumerPolicy:
    """How a compat endpoint treats bad input, signatures and handler errors.

    :param on_bad_input: :class:`OnBadInput` for items that do not decode or verify.
    :param max_tries: deliveries of one message before it is dead-lettered
        (requeue policy and handler exceptions).
    :param signatures: :class:`Signatures`; checking needs *secret*.
    :param dead_letter: callable taking a :class:`DeadLetter`
        (e.g. :class:`DeadLetterPublisher`); logs at ERROR by default.
    :param require_resource_id: reject samples whose ``resource_id`` is null
        (Ceilometer sends some) as bad input, reason ``decode``, instead of
        handing them over with ``resource_id=None``; for consumers that need
        a resource id. Items of models without a ``resource_id`` (events)
        are not affected.
    :param deduplicate: remember this many message ids (or share a
        :class:`RecentMessageIds`) and acknowledge a message seen before
        without calling the handler again, counted as ``duplicates``; 0 (the
        default) hands every delivery over. Redeliveries to another process
        are not seen: handlers that must be exactly-once stay idempotent.
    """

    on_bad_input: OnBadInput = attrs.field(default=OnBadInput.DEAD_LETTER, converter=OnBadInput)
    max_tries: int = attrs.field(default=3)
    signatures: Signatures = attrs.field(default=Signatures.OFF, converter=Signatures)
    secret: str | None = None
    dead_letter: Callable[[DeadLetter], None] = log_dead_letter
    require_resource_id: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    # attrs' stubs type the default as the attribute, not as the converter's input (python-attrs/attrs#518).
    deduplicate: RecentMessageIds | None = attrs.field(default=0, converter=_deduplicator)  # type: ignore[assignment]

    @max_tries.validator
    def _positive(self, _attribute: Any, value: int) -> None:
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"max_tries must be a positive integer, not {value!r}")

    def __attrs_post_init__(self) -> None:
        if self.signatures is not Signatures.OFF and not self.secret:
            raise ValueError("checking signatures needs the telemetry secret")


class ConsumerCounters:
    """Thread-safe counts of what a consumer did; read with :meth:`snapshot`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages = 0
        self.decoded = 0
        self.handled = 0
        self.dropped = 0
        self.dead_lettered = 0
        self.requeued = 0
        self.handler_errors = 0
        self.redelivered = 0
        self.per_meter_copies = 0
        self.duplicates = 0
        self.rejected: collections.Counter[str] = collections.Counter()
        self.generations: collections.Counter[str] = collections.Counter()
        self.unknown_keys: collections.Counter[str] = collections.Counter()
        self.event_types: collections.Counter[str] = collections.Counter()
        self.shadow: collections.Counter[str] = collections.Counter()
        self.unclaimed: collections.Counter[str] = collections.Counter()

    def add(self, **amounts: int) -> None:
        """Add to plain counters, e.g. ``add(decoded=50, messages=1)``."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def count(self, table: str, keys: Iterable[str]) -> None:
        """Count each of *keys* in one of the keyed tables."""
        with self._lock:
            getattr(self, table).update(keys)

    def _add_message(
        self,
        event_type: str,
        decoded: int,
        generations: Mapping[str, int],
        unknown_keys: Mapping[str, int],
        rejected: Mapping[str, int],
        shadow: Mapping[str, int],
    ) -> None:
        """Count one message and what decoding and checking it found, in one update."""
        self._lock.acquire()
        try:
            self.messages += 1
            self.decoded += decoded
            self.event_types[event_type] += 1
            table = self.generations
            for key, amount in generations.items():
                table[key] += amount
            if unknown_keys:
                self.unknown_keys.update(unknown_keys)
            if rejected:
                self.rejected.update(rejected)
            if shadow:
                self.shadow.update(shadow)
        finally:
            self._lock.release()

    def _add_handled(self, items: int) -> None:
        self._lock.acquire()
        try:
            self.handled += items
        finally:
            self._lock.release()

    def snapshot(self) -> dict[str, Any]:
        """All counters as plain data (safe to log or serialise)."""
        with self._lock:
            return {
                name: dict(value) if isinstance(value, collections.Counter) else value
                for name, value in vars(self).items()
                if not name.startswith("_")
            }

    def summary(self) -> str:
        """One log line: the counts that matter during an upgrade."""
        s = self.snapshot()
        rejected = ", ".join(f"{k}={v}" for k, v in sorted(s["rejected"].items())) or "none"
        generations = ", ".join(f"{k}={v}" for k, v in sorted(s["generations"].items())) or "none"
        duplicates = f", duplicates dropped {s['duplicates']}" if s["duplicates"] else ""
        return (
            f"{s['messages']} messages, {s['decoded']} decoded, {s['handled']} handled, "
            f"rejected: {rejected}; dead-lettered {s['dead_lettered']}, dropped {s['dropped']}, "
            f"requeued {s['requeued']}{duplicates}; generations: {generations}; "
            f"{sum(s['unknown_keys'].values())} unknown keys seen"
        )


_NO_COUNTS: Mapping[str, int] = types.MappingProxyType({})


@attrs.frozen
class Delivery:
    """Where a batch of decoded items came from."""

    publisher_id: str | None
    event_type: str | None
    message_id: str | None
    timestamp: str | None
    context: Any = attrs.field(repr=False, default=None)


Handler = Callable[[list[Any], Delivery], Any]

#: A signature check: ``verify(wire, secret)``, :func:`~ceilocompat.verify_signature` or its legacy variant.
_Verify = Callable[[Any, str], bool]

#: What an endpoint works out once per policy: the policy, the decoder, and the signature check with its
#: secret (None when signatures are not checked).
_Plan = tuple[ConsumerPolicy, Callable[[Any], Any], tuple[_Verify, str] | None]


class CompatEndpoint:
    """A notification endpoint for one route that decodes before handling.

    :param route: the :class:`~ceilocompat.routing.Route` consumed; the
        endpoint answers that route's priority.
    :param handler: ``handler(items, delivery)`` called with the decoded
        models of each message (never with an empty list).
    :param model: the wire model to decode with; default the built-in model
        named by ``route.model_name`` (a route of your own model needs it).
    :param version: decode with the model as it was at this version (an old
        consumer); default the latest.
    :param shadow: a :class:`ShadowDecode` comparing two versions on every item.
    """

    def __init__(
        self,
        route: Route,
        handler: Handler,
        *,
        policy: ConsumerPolicy | None = None,
        counters: ConsumerCounters | None = None,
        model: type[WireModel] | None = None,
        version: str | None = None,
        shadow: ShadowDecode | None = None,
    ) -> None:
        self.route = route
        self.handler = handler
        self.policy = policy or ConsumerPolicy()
        self.counters = counters or ConsumerCounters()
        self.model: type[WireModel] = model if model is not None else _builtin_model(route)
        self.view = self.model.__wire__.view(version) if version else self.model.__wire__.latest
        self.shadow = shadow
        self._tries = _MessageMemory()
        self._shapes = KeyShapes(self.model.__wire__)
        self._planned: _Plan | None = None
        # Every endpoint of a listener sees every message of the listener's
        # queues; each claims only its route's event type.
        self.filter_rule = oslo_messaging.NotificationFilter(event_type=f"^{re.escape(route.event_type)}$")
        setattr(self, route.priority, self._on_notification)

    def claims(self, message: Mapping[str, Any]) -> bool:
        """True when this endpoint handles *message* (an oslo.messaging message dict)."""
        matched: bool = self.filter_rule.match(
            message["ctxt"], message["publisher_id"], message["event_type"], message["metadata"], message["payload"]
        )
        return matched

    def __repr__(self) -> str:
        return f"<CompatEndpoint {self.route.routing_key} {self.view!r}>"

    def _on_notification(self, ctxt: Any, publisher_id: Any, event_type: Any, payload: Any, metadata: Any) -> Any:
        delivery = _delivery(ctxt, publisher_id, event_type, metadata)
        seen = self.policy.deduplicate
        if seen is not None and delivery.message_id is not None and not seen.claim(delivery.message_id):
            self.counters.add(duplicates=1)
            return HANDLED
        tries = self._tries.add(delivery.message_id)
        try:
            outcome = self.process(payload, delivery, tries)
        except Exception as exc:  # never let oslo.messaging requeue blindly
            LOG.exception("compat endpoint failed on message %s", delivery.message_id)
            outcome = self._after_handler_error(payload, delivery, tries, exc)
        if outcome is REQUEUE:
            self.counters.add(requeued=1)
            if seen is not None and delivery.message_id is not None:
                seen.release(delivery.message_id)
        else:
            self._tries.forget(delivery.message_id)
        return outcome

    def process(self, payload: Any, delivery: Delivery, tries: int = 1) -> Any:
        """Decode, check and hand over one message's payload; REQUEUE or HANDLED."""
        policy, decode, check = self._plan()
        decoded, generations, unknown_keys, reasons, shadow = 0, _NO_COUNTS, _NO_COUNTS, _NO_COUNTS, _NO_COUNTS
        try:
            items, rejected, wires, uniform = decode_each(payload, decode)
            decoded = len(items)
            generations, unknown_keys = self._shapes.tally(wires, uniform)
            if rejected:
                reasons = {"decode": len(rejected)}
            if self.shadow is not None:
                shadow = self.shadow.tally(wires)
            if check is not None:
                verify, secret = check
                unverified = _unverified(items, wires, secret, verify)
                if unverified:
                    reasons = {**reasons, "signature": len(unverified)}
                    rejected = rejected + unverified
        finally:  # a decoder or check that raises still leaves the message counted
            self.counters._add_message(str(delivery.event_type), decoded, generations, unknown_keys, reasons, shadow)
        last_try = tries >= policy.max_tries or delivery.message_id is None
        if rejected and policy.on_bad_input is OnBadInput.REQUEUE and not last_try:
            return REQUEUE
        good = items
        if rejected:
            good = [item for item in good if not _is_rejected(item, rejected)]
            self._reject(rejected, delivery, tries)
        if good:
            # The handler is the caller's code: whatever it raises is counted and the message requeued or
            # dead-lettered by the policy, never raised into oslo.messaging (which would requeue it without end).
            try:
                self.handler(good, delivery)
            except Exception as exc:  # noqa: BLE001
                LOG.warning("handler failed on message %s (try %d): %s", delivery.message_id, tries, exc)
                return self._after_handler_error(payload, delivery, tries, exc)
            self.counters._add_handled(len(good))
        return HANDLED

    def _plan(self) -> _Plan:
        """The policy, the decoder and the signature check it implies, worked out once per policy."""
        planned = self._planned
        if planned is None or planned[0] is not self.policy:
            policy = self.policy
            decode: Callable[[Any], Any] = self.view.from_wire
            if policy.require_resource_id and "resource_id" in self.view.keys:
                decode = _RequiringResourceId(decode)
            check: tuple[_Verify, str] | None = None
            if policy.signatures is not Signatures.OFF:
                legacy = policy.signatures is Signatures.VERIFY_LEGACY
                verify = functools.partial(verify_signature, legacy=True) if legacy else verify_signature
                # A policy that checks signatures has a secret (ConsumerPolicy refuses one without).
                check = (verify, policy.secret or "")
            planned = self._planned = (policy, decode, check)
        return planned

    def _reject(self, rejected: Sequence[Rejected], delivery: Delivery, tries: int) -> None:
        for item in rejected:
            reason = "signature" if item.error.path == "message_signature" else "decode"
            if self.policy.on_bad_input is OnBadInput.DROP:
                LOG.warning("dropped %s item from %s: %s", reason, delivery.publisher_id, item.error)
                self.counters.add(dropped=1)
            else:
                self._dead_letter(DeadLetter(reason, str(item.error), item.raw, delivery.event_type,
                                             delivery.publisher_id, delivery.message_id, tries))

    def _after_handler_error(self, payload: Any, delivery: Delivery, tries: int, exc: Exception) -> Any:
        self.counters.add(handler_errors=1)
        if tries < self.policy.max_tries and delivery.message_id is not None:
            return REQUEUE
        self._dead_letter(DeadLetter("handler", f"{type(exc).__name__}: {shorten(str(exc))}", payload,
                                     delivery.event_type, delivery.publisher_id, delivery.message_id, tries))
        return HANDLED

    def _dead_letter(self, dead: DeadLetter) -> None:
        _send_dead_letter(self.policy, self.counters, dead)


class CompatBatchEndpoint(CompatEndpoint):
    """The same for batch listeners: one handler call per message.

    oslo.messaging requeues a whole batch or nothing. When one message of a
    batch must be retried, the whole batch comes back; messages of it that
    were already handled are then recognised by message id and acknowledged
    without a second handler call (counted as ``redelivered``). Bad items
    under the requeue policy are dead-lettered at once.
    """

    def __init__(self, route: Route, handler: Handler, **kwargs: Any) -> None:
        super().__init__(route, handler, **kwargs)
        if self.policy.on_bad_input is OnBadInput.REQUEUE:
            self.policy = attrs.evolve(self.policy, on_bad_input=OnBadInput.DEAD_LETTER)
        self._handled = _MessageMemory()
        setattr(self, route.priority, self._on_batch)

    def _on_batch(self, messages: Sequence[Mapping[str, Any]]) -> Any:
        outcome = HANDLED
        for message in messages:
            message_id = _message_id(message["metadata"])
            if message_id is not None and message_id in self._handled:
                self.counters.add(redelivered=1)
                continue
            result = self._on_notification(
                message["ctxt"], message["publisher_id"], message["event_type"], message["payload"], message["metadata"]
            )
            if result is REQUEUE:
                outcome = REQUEUE
            else:
                self._handled.add(message_id)
        return outcome


class _RequiringResourceId:
    """A decoder that refuses a null ``resource_id`` (``ConsumerPolicy.require_resource_id``).

    Called, it decodes one item with *decode* and refuses it if its
    ``resource_id`` is null. Where *decode* has a compiled ``decode_list``,
    so does this reader: it decodes the whole list at once and raises on a
    null, and the caller then decodes item by item, naming the one refused.
    """

    def __init__(self, decode: Callable[[Any], Any]) -> None:
        self._decode = decode
        decode_list = getattr(decode, "decode_list", None)
        if decode_list is not None:
            self._decode_list = decode_list
            self.decode_list = self._requiring_all

    def __call__(self, data: Any) -> Any:
        item = self._decode(data)
        if item.resource_id is None:
            raise _null_resource_id()
        return item

    def _requiring_all(self, items: list[Any]) -> tuple[list[Any], bool]:
        decoded, uniform = self._decode_list(items)
        for item in decoded:
            if item.resource_id is None:
                raise _null_resource_id()
        return decoded, uniform


def _null_resource_id() -> DecodeError:
    return DecodeError("resource_id", None, "is null, and this consumer requires a resource id")


def _builtin_model(route: Route) -> Any:
    try:
        return model_named(route.model_name)
    except LookupError as exc:
        raise ValueError(f"route {route.routing_key!r}: {exc}") from None


def _send_dead_letter(policy: ConsumerPolicy, counters: ConsumerCounters, dead: DeadLetter) -> None:
    try:
        policy.dead_letter(dead)
    except Exception:  # the sink is the caller's (or a publish to a broker that may be gone): the log keeps it
        LOG.exception("dead-letter sink failed; logging the dead letter instead")
        log_dead_letter(dead)
    counters.add(dead_lettered=1)


def _delivery(ctxt: Any, publisher_id: Any, event_type: Any, metadata: Any) -> Delivery:
    if metadata.__class__ is not dict:
        metadata = _metadata(metadata)
    message_id, timestamp = metadata.get("message_id"), metadata.get("timestamp")
    return Delivery(
        publisher_id if isinstance(publisher_id, str) else None,
        event_type if isinstance(event_type, str) else None,
        message_id if isinstance(message_id, str) else None,
        timestamp if isinstance(timestamp, str) else None,
        ctxt,
    )


def _metadata(metadata: Any) -> Mapping[str, Any]:
    if metadata.__class__ is dict or isinstance(metadata, collections.abc.Mapping):
        return metadata
    return {}


def _message_id(metadata: Any) -> str | None:
    message_id = _metadata(metadata).get("message_id")
    return message_id if isinstance(message_id, str) else None


def _is_rejected(item: Any, rejected: Sequence[Rejected]) -> bool:
    return any(r.raw is item.received for r in rejected)


def _unverified(items: Sequence[Any], wires: Sequence[Any], secret: str, verify: _Verify) -> list[Rejected]:
    """The items whose signature does not verify, as :class:`Rejected` (index into *items*)."""
    rejected = []
    for index, wire in enumerate(wires):
        try:
            if verify(wire, secret):
                continue
            detail = "signature does not verify"
        except DecodeError as exc:
            detail = f"cannot be verified: {exc.reason}"
        signature = items[index].message_signature
        rejected.append(Rejected(index, wire, DecodeError("message_signature", signature, detail)))
    return rejected


class UnclaimedEndpoint:
    """Catches messages that no compat endpoint of a listener claims.

    oslo.messaging acknowledges a message no endpoint takes and says nothing;
    this endpoint counts such messages (``unclaimed`` by event type) and
    dead-letters them whole, so nothing leaves the bus unseen. The one
    exception is Ceilometer's per-meter copies (``per_meter_topic=1`` sends
    every sample a second time with event type ``metering.<counter_name>``)
    beside an endpoint that takes the full ``metering`` batches: those are
    duplicates by design, counted as ``per_meter_copies`` and acknowledged.
    """

    def __init__(self, endpoints: Sequence[CompatEndpoint], batch: bool) -> None:
        self.endpoints = list(endpoints)
        self.counters = self.endpoints[0].counters
        self.policy = self.endpoints[0].policy
        for priority in {e.route.priority for e in self.endpoints}:
            setattr(self, priority, self._on_batch if batch else self._on_notification)
        self._full_batches = {e.route.event_type for e in self.endpoints if e.model is Sample}

    def _is_per_meter_copy(self, event_type: str | None) -> bool:
        return event_type is not None and any(event_type.startswith(f"{full}.") for full in self._full_batches)

    def _on_notification(self, ctxt: Any, publisher_id: Any, event_type: Any, payload: Any, metadata: Any) -> Any:
        self._on_batch([{"ctxt": ctxt, "publisher_id": publisher_id, "event_type": event_type,
                         "payload": payload, "metadata": metadata}])
        return HANDLED

    def _on_batch(self, messages: Sequence[Mapping[str, Any]]) -> Any:
        for message in messages:
            if any(e.claims(message) for e in self.endpoints):
                continue
            delivery = _delivery(message["ctxt"], message["publisher_id"], message["event_type"], message["metadata"])
            if self._is_per_meter_copy(delivery.event_type):
                self.counters.add(per_meter_copies=1)
                continue
            self.counters.count("unclaimed", [str(delivery.event_type)])
            dead = DeadLetter("unclaimed", f"no endpoint for event type {delivery.event_type!r}", message["payload"],
                              delivery.event_type, delivery.publisher_id, delivery.message_id, 1)
            _send_dead_letter(self.policy, self.counters, dead)
        return HANDLED


def compat_listener(transport: Any, endpoints: Sequence[CompatEndpoint], **kwargs: Any) -> Any:
    """An oslo.messaging listener for compat endpoints, losing nothing.

    Listens on every endpoint's route and adds an :class:`UnclaimedEndpoint`.
    All endpoints must be plain or all batch (then pass ``batch_size``).
    Give one ``pool`` per consumer group: oslo.messaging gives a pool one
    queue for all its routes, so every member of a group must listen with
    the same endpoints' routes.
    """
    endpoints = list(endpoints)
    if not endpoints:
        raise ValueError("a compat listener needs at least one endpoint")
    batch = {isinstance(e, CompatBatchEndpoint) for e in endpoints}
    if len(batch) != 1:
        raise ValueError("mix of plain and batch endpoints: oslo.messaging listeners take one kind")
    is_batch = batch.pop()
    if is_batch != ("batch_size" in kwargs or "batch_timeout" in kwargs):
        raise ValueError("batch endpoints need batch_size or batch_timeout, plain endpoints neither")
    routes = list(dict.fromkeys(e.route for e in endpoints))
    return notification_listener(transport, routes, [*endpoints, UnclaimedEndpoint(endpoints, is_batch)], **kwargs)


class ShadowDecode:
    """Decode each item with a previous and the current model version.

    Counts, in the consumer's ``shadow`` table: ``compared``;
    ``previous-rejects`` / ``current-rejects`` (one version fails where the
    other decodes); ``differs:<key>`` (a key both know decodes differently:
    the additive rule was broken); ``ignored-by-previous:<key>`` (a newer
    key carrying a value the previous version's consumers never see).
    Finishing an upgrade is safe when only ``ignored-by-previous`` appears
    for keys whose loss is acceptable.
    """

    def __init__(self, model: type[WireModel], previous: str, current: str | None = None) -> None:
        schema = model.__wire__
        self.previous = schema.view(previous)
        self.current = schema.view(current) if current else schema.latest
        self._common = [f for f in self.previous.fields if f.key in self.current.keys]
        self._newer = [f for f in self.current.fields if f.key not in self.previous.keys]

    def compare(self, wire: Any, counters: ConsumerCounters) -> list[str]:
        """Compare one wire dict; count and return the divergences found."""
        outcomes = self._outcomes(wire)
        counters.count("shadow", outcomes)
        return outcomes[1:]

    def tally(self, wires: Iterable[Any]) -> dict[str, int]:
        """Compare each of *wires*; the counts :meth:`compare` would add, for all of them."""
        return dict(collections.Counter(outcome for wire in wires for outcome in self._outcomes(wire)))

    def _outcomes(self, wire: Any) -> list[str]:
        outcomes = ["compared"]
        try:
            old = self.previous.from_wire(wire)
        except DecodeError:
            old = None
        try:
            new = self.current.from_wire(wire)
        except DecodeError:
            new = None
        if old is None and new is not None:
            outcomes.append("previous-rejects")
        elif new is None and old is not None:
            outcomes.append("current-rejects")
        elif old is not None:
            outcomes += [f"differs:{f.key}" for f in self._common if getattr(old, f.key) != getattr(new, f.key)]
            outcomes += [
                f"ignored-by-previous:{f.key}"
                for f in self._newer
                if f.key in wire and getattr(new, f.key) != f.spec.missing_value()
            ]
        return outcomes


class DeadLetterPublisher:
    """A dead-letter sink that publishes each :class:`DeadLetter` on the bus.

    Dead letters travel as ``error`` notifications with event type
    ``ceilocompat.dead_letter`` on *topic*, payload :meth:`DeadLetter.as_dict`.
    """

    EVENT_TYPE = "ceilocompat.dead_letter"

    def __init__(
        self, transport: Any, topic: str = "ceilocompat_dead_letter", publisher_id: str = "ceilocompat"
    ) -> None:
        self.notifier = oslo_messaging.Notifier(
            transport, publisher_id=publisher_id, driver="messagingv2", topics=[topic]
        )

    def __call__(self, dead: DeadLetter) -> None:
        self.notifier.error({}, self.EVENT_TYPE, json.loads(json.dumps(dead.as_dict(), default=repr)))
