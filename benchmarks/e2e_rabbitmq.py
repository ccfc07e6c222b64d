"""End to end on a real RabbitMQ: compat consumers against a bare listener.

``python -m benchmarks.e2e_rabbitmq [--samples N] [--batch-size B]`` starts a
private RabbitMQ (``rabbitmq-server`` must be installed), fills a queue with
N signed samples in polling-agent batches of 50, then drains it twice, each
time with a batch listener of the same batch size: once with a bare
oslo.messaging endpoint that only counts the items it gets, once with a
:class:`~ceilocompat.CompatBatchEndpoint` that decodes every
sample and verifies its signature. It prints samples per second for both and
their ratio. Both drain the same queue contents on the same broker, so the
ratio is what decoding and verifying cost on top of the bus itself.

:func:`measure_rounds` is what ``python -m benchmarks.ratios`` judges: the
bare listener and compat consumers with signatures off and verified, each
round filling all three queues at once and draining them in a new random
order (:func:`benchmarks.ratios.paired_ratio` takes the median over rounds
of each round's ratio).
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from oslo_config import cfg

from ceilocompat import (
    POLLING_ROUTE,
    CompatBatchEndpoint,
    ConsumerPolicy,
    Publisher,
    Sample,
    compat_listener,
    notification_listener,
    notification_transport,
)
from ceilocompat.testing import RabbitMQBroker, find_rabbitmq

SECRET = "not-so-secret"
EXCHANGE = "ceilocompat_e2e"
ROUTE = dataclasses.replace(POLLING_ROUTE, topic="e2e_notifications", exchange=EXCHANGE)


class Counter:
    """Counts items across listener threads and says when all have come."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.first: tuple[float, int] | None = None  # when the first items came, and how many
        self.last = 0.0

    def add(self, n: int) -> None:
        now = time.perf_counter()
        with self.lock:
            self.count += n
            if self.first is None:
                self.first = (now, self.count)
            if self.count >= self.expected:
                self.last = now
                self.done.set()

    def rate(self) -> float:
        """Items per second after the first handler call (listener start and first batch left out)."""
        if self.first is None or self.last <= self.first[0]:
            raise RuntimeError("too few batches to time: publish more samples")
        return (self.count - self.first[1]) / (self.last - self.first[0])


class BareEndpoint:
    """What a consumer that trusts the bus does: count the items, nothing else."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def sample(self, messages: list) -> None:
        self.counter.add(sum(len(m["payload"]["samples"]) for m in messages))


def fill(transport: Any, samples: int) -> None:
    """Publish *samples* signed samples in batches of 50."""
    publisher = Publisher(transport, ROUTE, "ceilometer.polling", secret=SECRET)
    publisher.publish(
        Sample(counter_name="disk.device.read.bytes", counter_type="cumulative", counter_unit="B",
               counter_volume=i, user_id="u", user_name="alice", project_id="p", project_name="demo",
               resource_id=f"vm-{i % 100}", timestamp="2026-11-20T09:32:36.521082",
               resource_metadata={"flavor": {"name": "m1.tiny", "vcpus": 1}, "disk_name": "vda"},
               monotonic_time=float(i))
        for i in range(samples)
    )


def drain(start_listener: Callable[[], Any], counter: Counter, timeout: float) -> float:
    """Seconds from listener start until *counter* saw every item."""
    started = time.perf_counter()
    listener = start_listener()
    try:
        if not counter.done.wait(timeout):
            raise RuntimeError(f"only {counter.count} of {counter.expected} samples arrived in {timeout}s")
        return time.perf_counter() - started
    finally:
        listener.stop()
        listener.wait()


#: The consumers :func:`measure_rounds` compares, and the policy of each compat one.
CONSUMERS = {
    "bare": None,
    "compat-off": ConsumerPolicy(),
    "compat-verify": ConsumerPolicy(signatures="verify", secret=SECRET),
}


def start_consumer(transport: Any, name: str, counter: Counter, batch_size: int) -> Any:
    """A started batch listener for consumer *name* of :data:`CONSUMERS`, in a pool of its own."""
    pool = f"e2e_rounds_{name}"
    policy = CONSUMERS[name]
    if policy is None:
        listener = notification_listener(transport, [ROUTE], [BareEndpoint(counter)], pool=pool,
                                         batch_size=batch_size, batch_timeout=0.5)
    else:
        endpoint = CompatBatchEndpoint(ROUTE, lambda items, _d: counter.add(len(items)), policy=policy)
        listener = compat_listener(transport, [endpoint], pool=pool, batch_size=batch_size, batch_timeout=0.5)
    listener.start()
    return listener


def measure_rounds(url: str, samples: int, batch_size: int, rounds: int, timeout: float = 600.0,
                   seed: int = 0) -> dict[str, list[float]]:
    """Samples per second of each of :data:`CONSUMERS`, one figure per round.

    Each round publishes *samples* once into every consumer's queue, then
    drains the queues one after the other in a new random order, so that a
    slow spell of the machine falls on all consumers alike. A figure counts
    from the first handler call to the last, so connecting and the first
    batch are left out alike.
    """
    transport = notification_transport(cfg.ConfigOpts(), url, exchange=EXCHANGE)
    names = list(CONSUMERS)
    figures: dict[str, list[float]] = {name: [] for name in names}
    shuffle = random.Random(seed).shuffle
    try:
        for name in names:  # declare every pool's queue before the first fill
            declared = start_consumer(transport, name, Counter(0), batch_size)
            declared.stop()
            declared.wait()
        for _ in range(rounds):
            fill(transport, samples)
            shuffle(names)
            for name in names:
                counter = Counter(samples)
                drain(lambda n=name, c=counter: start_consumer(transport, n, c, batch_size), counter, timeout)
                figures[name].append(counter.rate())
    finally:
        transport.cleanup()
    return figures


def measure(url: str, samples: int, batch_size: int, timeout: float = 600.0) -> dict:
    """Samples per second of a bare listener and of a compat consumer."""
    transport = notification_transport(cfg.ConfigOpts(), url, exchange=EXCHANGE)
    results = {}
    try:
        for name in ("bare", "compat"):
            pool = f"e2e_{name}"
            counter = Counter(samples)
            if name == "bare":
                def start(counter: Counter = counter, pool: str = pool) -> Any:
                    listener = notification_listener(transport, [ROUTE], [BareEndpoint(counter)], pool=pool,
                                                     batch_size=batch_size, batch_timeout=0.5)
                    listener.start()
                    return listener
            else:
                def start(counter: Counter = counter, pool: str = pool) -> Any:
                    endpoint = CompatBatchEndpoint(ROUTE, lambda items, _d: counter.add(len(items)),
                                                   policy=ConsumerPolicy(signatures="verify", secret=SECRET))
                    listener = compat_listener(transport, [endpoint], pool=pool, batch_size=batch_size,
                                               batch_timeout=0.5)
                    listener.start()
                    return listener
            # declare the pool's queue, fill it, then time draining it
            declared = start()
            declared.stop()
            declared.wait()
            fill(transport, samples)
            seconds = drain(start, counter, timeout)
            results[name] = samples / seconds
    finally:
        transport.cleanup()
    results["compat/bare"] = results["compat"] / results["bare"]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=50, help="listener batch size (messages)")
    args = parser.parse_args(argv)
    broker = RabbitMQBroker(pathlib.Path(tempfile.mkdtemp(prefix="ceilocompat-e2e-")), find_rabbitmq())
    broker.start()
    try:
        results = measure(broker.url, args.samples, args.batch_size)
    finally:
        broker.close()
    print(f"{args.samples} samples in batches of 50, listener batch size {args.batch_size}:")
    print(f"  bare oslo.messaging batch listener  {results['bare']:>10,.0f} samples/s")
    print(f"  compat consumer (decode + verify)   {results['compat']:>10,.0f} samples/s")
    print(f"  compat / bare                       {results['compat/bare']:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
