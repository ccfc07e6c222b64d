"""One member of a consumer group: run several, on any hosts, and they share the work.

Every process started with the same ``--pool`` reads the same RabbitMQ
queue, so the broker hands each message to exactly one of them. Each
handled sample's message id is written, one per line, to ``--out``; the
process stops cleanly on SIGTERM or Ctrl-C and prints its counters.

    python pooled_consumer.py --config-file /etc/ceilometer/ceilometer.conf --pool billing --out ids.txt
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import threading

from ceilocompat import SAMPLE_ROUTE, CompatEndpoint, ConsumerPolicy, compat_listener, notification_transport
from ceilocompat.config import messaging_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-file", action="append", default=[], help="oslo.config file (repeatable)")
    parser.add_argument("--transport", help="transport URL (default: the config file's transport_url)")
    parser.add_argument("--pool", required=True, help="the consumer group: one queue shared by its members")
    parser.add_argument("--out", required=True, help="file the handled samples' message ids are appended to")
    parser.add_argument("--topic", default=SAMPLE_ROUTE.topic, help="the samples' topic (default: metering)")
    args = parser.parse_args()

    conf = messaging_config(args.config_file)  # [oslo_messaging_rabbit] quorum queues, TLS, heartbeats...
    transport = notification_transport(conf, args.transport)
    with open(args.out, "a", buffering=1) as out:
        consume(transport, args, out)


def consume(transport, args, out) -> None:
    """Listen in the pool until SIGTERM or Ctrl-C, appending what was handled to *out*."""
    def store(samples, delivery):
        out.write("".join(f"{sample.message_id}\n" for sample in samples))

    # A redelivery after a failover comes again with the same message id: drop it.
    route = dataclasses.replace(SAMPLE_ROUTE, topic=args.topic)
    endpoint = CompatEndpoint(route, store, policy=ConsumerPolicy(deduplicate=10_000))
    listener = compat_listener(transport, [endpoint], pool=args.pool)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    listener.start()
    print("ready", flush=True)
    stop.wait()
    listener.stop()
    listener.wait()
    transport.cleanup()
    print(endpoint.counters.summary(), flush=True)


if __name__ == "__main__":
    main()
