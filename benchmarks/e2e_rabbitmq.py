"""End to end on a real RabbitMQ: a compat consumer against a bare listener.

``python -m benchmarks.e2e_rabbitmq [--samples N] [--batch-size B]`` starts a
private RabbitMQ (``rabbitmq-server`` must be installed), fills a queue with
N signed samples in polling-agent batches of 50, then drains it twice, each
time with a batch listener of the same batch size: once with a bare
oslo.messaging endpoint that only counts the items it gets, once with a
:class:`~ceilocompat.CompatBatchEndpoint` that decodes every
sample and verifies its signature. It prints samples per second for both and
their ratio. Both drain the same queue contents on the same broker, so the
ratio is what decoding and verifying cost on top of the bus itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys
import tempfile
import threading
import time
from typing import Any, Callable

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

    def add(self, n: int) -> None:
        with self.lock:
            self.count += n
            if self.count >= self.expected:
                self.done.set()


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
