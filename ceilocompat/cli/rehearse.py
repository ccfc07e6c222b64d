"""``ceilocompat rehearse``: walk an upgrade path with live traffic.

Runs on the in-process ``fake://`` transport by default; ``--transport
rabbit://...`` (or the ``transport_url`` of ``--config-file``, read as
every OpenStack service reads its own) uses a real broker,
``--start-broker`` starts a private one (needs ``rabbitmq-server``;
``--nodes 3`` a cluster), and with it ``--restart-broker``,
``--kill-node`` and ``--crash-consumer`` inject faults in the middle of
the upgrade; ``--quorum-queues`` declares quorum queues. ``--real``
runs the two releases' own Ceilometer services instead of simulating them
(:mod:`ceilocompat.grenade.rehearsal`), on RabbitMQ, and says per step
what ``ceilocompat plan`` predicts beside what was lost. Progress
goes to standard error, the table (or ``--json``) to standard output: per
step, one row per consumer group and kind of item (samples, events). Exit
status: 0 nothing lost or rejected, 1 something was, 2 bad usage or a
broker that cannot be reached.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ceilocompat._signing import DEFAULT_SECRET
from ceilocompat.cli.arguments import positive_int, positive_seconds, release, seconds
from ceilocompat.cli.exit_codes import ExitCode, error, refuse
from ceilocompat.cli.tables import format_table
from ceilocompat.config import ConfigError, configured_transport_url, messaging_config
from ceilocompat.upgrade.faults import NodeLoss, crash_a_consumer, restarting
from ceilocompat.upgrade.plan import PATHS
from ceilocompat.upgrade.rehearsal import (
    BROKER_ERRORS,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_FROM_RELEASE,
    DEFAULT_TO_RELEASE,
    Rehearsal,
    RehearsalReport,
)

#: What ends the command with a one-line error instead of a report: bad values, services or brokers.
_FAILURES: tuple[type[Exception], ...] = (ValueError, RuntimeError, *BROKER_ERRORS)

#: Steps (1-based) in which faults are injected: collectors are running new
#: code in step 2, and step 3 is the middle of the upgrade; a node killed in
#: step 3 comes back in step 4.
CRASH_STEP, RESTART_STEP, KILL_NODE_STEP, NODE_BACK_STEP = 2, 3, 3, 4


def command_rehearse(args: argparse.Namespace) -> int:
    """Run ``ceilocompat rehearse`` with parsed arguments."""
    start_broker = args.start_broker or args.restart_broker or args.kill_node or args.partition_node or args.nodes > 1
    if start_broker and args.transport:
        return refuse("rehearse", "--start-broker, --nodes, --kill-node and --restart-broker start their own "
                      "broker; leave out --transport")
    if args.kill_node and args.partition_node:
        return refuse("rehearse", "--kill-node and --partition-node lose the same node two ways: choose one")
    lose = "--kill-node" if args.kill_node else "--partition-node" if args.partition_node else None
    if lose and args.nodes < 3:
        return refuse("rehearse", f"{lose} needs a cluster whose majority survives: add --nodes 3 (or more)")
    if args.restart_broker and args.nodes > 1:
        return refuse("rehearse", "--restart-broker restarts a single node; with --nodes use --kill-node")
    try:
        conf = messaging_config(args.config_file or (), quorum_queues=True if args.quorum_queues else None)
    except ConfigError as exc:
        error("rehearse", str(exc))
        return ExitCode.USAGE
    if not (start_broker or args.transport):
        args.transport = configured_transport_url(conf)
    for real_only in ("polling_script", "crash_agent"):
        if getattr(args, real_only) and not args.real:
            return refuse("rehearse", f"--{real_only.replace('_', '-')} is for the real services of --real; add --real")
    if args.real:
        simulated = [flag for flag, given in (("--restart-broker", args.restart_broker),
                                              ("--crash-consumer", args.crash_consumer),
                                              ("--strict-consumer", args.strict_consumer),
                                              ("--pin", args.pin)) if given]
        if simulated:
            return refuse("rehearse", f"{', '.join(simulated)} simulate(s) what --real runs for real; leave it out")
        own_config = [flag for flag, given in (("--config-file", args.config_file),
                                               ("--quorum-queues", args.quorum_queues),
                                               ("--nodes", args.nodes > 1), ("--kill-node", args.kill_node),
                                               ("--partition-node", args.partition_node)) if given]
        if own_config:
            return refuse("rehearse", f"{', '.join(own_config)}: the real services run on one RabbitMQ node with "
                          "the ceilometer.conf the rehearsal writes for them; leave it out")
        if not (start_broker or (args.transport or "").startswith("rabbit://")):
            return refuse("rehearse", "--real runs real Ceilometer services on RabbitMQ: add --start-broker "
                          "or --transport rabbit://...")
    if args.crash_consumer and not (start_broker or (args.transport or "").startswith("rabbit://")):
        return refuse("rehearse", "--crash-consumer needs a real broker: --transport rabbit://... or --start-broker")
    try:
        with contextlib.ExitStack() as stack:
            broker = (stack.enter_context(private_broker(args.nodes, hosts_in_namespaces=args.partition_node))
                      if start_broker else None)
            report = _rehearse(args, broker, lose)
    except _FAILURES as exc:
        error("rehearse", " ".join(str(exc).split()) or type(exc).__name__)
        return ExitCode.USAGE
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(format_report(report))
    agrees = getattr(report, "agrees", True)  # a real rehearsal also holds the planner to what happened
    return ExitCode.OK if report.ok and agrees else ExitCode.PROBLEMS


def _rehearse(args: argparse.Namespace, broker: Any, lose: str | None) -> RehearsalReport:
    """Build the rehearsal the arguments ask for, on *broker* (or the given transport), and run it."""
    url = broker.url if broker else (args.transport or "fake://")
    hooks: dict[int, Callable[[Rehearsal], None]] = {}
    if args.crash_consumer:
        hooks[CRASH_STEP] = crash_a_consumer
    if args.restart_broker and broker is not None:
        hooks[RESTART_STEP] = restarting(broker)
    if lose:
        loss = NodeLoss(broker, partition=args.partition_node)
        hooks[KILL_NODE_STEP], hooks[NODE_BACK_STEP] = loss.kill, loss.restart
    common = dict(
        path=args.path, transport_url=url, samples=args.samples, from_release=str(args.from_release),
        to_release=str(args.to_release), secret=args.secret, connect_timeout=args.connect_timeout,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        config_files=args.config_file or (), quorum_queues=True if args.quorum_queues else None,
    )
    if args.real:
        from ceilocompat.grenade.rehearsal import RealRehearsal, crash_an_agent

        rehearsal: Rehearsal = RealRehearsal(**common, dwell=args.dwell if args.dwell is not None else 8.0,
                                             polling_agents=not args.polling_script,
                                             hooks={CRASH_STEP: crash_an_agent} if args.crash_agent else None)
    else:
        rehearsal = Rehearsal(**common, strict_fields=args.strict_consumer or (), pin_new_producers=args.pin,
                              hooks=hooks, dwell=args.dwell if args.dwell is not None else 3.0)
    # A cluster in network namespaces is reached from its client namespace only.
    in_namespaces = broker if args.partition_node else None
    return in_namespaces.client.call(rehearsal.run) if in_namespaces is not None else rehearsal.run()


def format_report(report: RehearsalReport) -> str:
    """The report as a table: under each step, one row per consumer group and kind of item."""
    header = ("step / consumer group", "items", "produced", "consumed", "lost", "duplicated", "rejected")
    rows: list[tuple] = []
    for step in report.steps:
        rows.append((f"{step.number}. {step.label}",) + ("",) * (len(header) - 1))
        rows += [(f"   {g.group}", f"{g.kind}s", g.produced, g.consumed, g.lost, g.duplicated, g.rejected)
                 for g in step.groups]
    table = format_table(header, rows, right=range(2, len(header)))
    predictions = getattr(report, "predictions", ())
    if predictions:
        plan_rows = [(f"{p.number}. {p.label}", ", ".join(f"{polling}>{agent}" for polling, agent in p.pairs),
                      ", ".join(p.predicted) or "no loss", p.lost, "yes" if p.agrees else "NO") for p in predictions]
        table += "\n\n" + format_table(("step", "polling>agent side by side", "plan says", "lost", "agrees"),
                                        plan_rows, right=(3,), shrink=(1,))
    notes = "".join(f"! {note}\n" for note in report.events)
    return table + "\n\n" + notes + report.summary()


@contextlib.contextmanager
def private_broker(nodes: int = 1, *, hosts_in_namespaces: bool = False) -> Iterator[Any]:
    """A private RabbitMQ, one node or a cluster (needs rabbitmq-server), said on stderr as it starts.

    On loopback, or with *hosts_in_namespaces* a cluster whose nodes are
    hosts in network namespaces of their own (needs root), so that one can
    be cut off. On leaving the block it is stopped and its directory
    (data, logs, configuration) removed. A broker that cannot start raises
    RuntimeError saying so.
    """
    from ceilocompat.testing import NetnsCluster, RabbitMQBroker, RabbitMQCluster, find_rabbitmq

    base = Path(tempfile.mkdtemp(prefix="ceilocompat-rabbitmq-"))
    try:
        broker: Any
        if hosts_in_namespaces:
            broker = NetnsCluster(base, nodes, find_rabbitmq())
        elif nodes > 1:
            broker = RabbitMQCluster(base, nodes, find_rabbitmq())
        else:
            broker = RabbitMQBroker(base, find_rabbitmq())
        where = ",".join(part.split("@")[-1] for part in broker.url.removeprefix("rabbit://").split(","))
        what = f"a private {nodes}-node RabbitMQ cluster" if nodes > 1 else "a private RabbitMQ"
        if hosts_in_namespaces:
            what += " in network namespaces"
        print(f"starting {what} on {where} ...", file=sys.stderr, flush=True)
        try:
            try:
                broker.start()
            except (OSError, RuntimeError) as exc:
                raise RuntimeError(f"cannot start {what}: {exc}") from exc
            yield broker
        finally:
            broker.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``rehearse`` command to ``ceilocompat``'s subparsers."""
    rehearse = subparsers.add_parser(
        "rehearse",
        help="walk an upgrade path with live traffic and count what is lost",
        description=(
            "Start polling agents, notification agents and collectors at an old release, walk the "
            "upgrade path step by step while traffic flows, and check that every sample and event "
            "reached each consumer group once decoded, with valid signatures."
        ),
        epilog="Exit status: 0 nothing lost or rejected, 1 something was, 2 bad usage or an unreachable broker.",
    )
    rehearse.add_argument("--path", choices=sorted(PATHS), default="partial", help="upgrade path (default: partial)")
    rehearse.add_argument("--transport", metavar="URL", help="oslo.messaging transport URL (default: fake://)")
    rehearse.add_argument(
        "--connect-timeout", type=positive_seconds, default=DEFAULT_CONNECT_TIMEOUT, metavar="SECONDS",
        help=f"give up on a broker host not reached within this time (default: {DEFAULT_CONNECT_TIMEOUT:g})",
    )
    rehearse.add_argument(
        "--config-file", action="append", metavar="PATH",
        help="oslo.config file to read, as OpenStack services do (repeatable; later files win): "
        "[oslo_messaging_rabbit] quorum queues, heartbeats, TLS; its transport_url when --transport is not given",
    )
    rehearse.add_argument(
        "--quorum-queues", action="store_true",
        help="declare quorum queues ([oslo_messaging_rabbit] rabbit_quorum_queue = true), which survive a node",
    )
    rehearse.add_argument("--start-broker", action="store_true", help="start a private RabbitMQ and rehearse on it")
    rehearse.add_argument(
        "--nodes", type=positive_int, default=1, metavar="N",
        help="with --start-broker: start a private cluster of N RabbitMQ nodes on loopback (default: 1)",
    )
    rehearse.add_argument(
        "--partition-node", action="store_true",
        help="run the cluster's nodes as hosts in network namespaces (needs root), cut the node leading the "
        "consumed queues off the network in step 3 and heal it in step 4 (needs --nodes 3 or more)",
    )
    rehearse.add_argument(
        "--kill-node", action="store_true",
        help="kill (SIGKILL) the cluster node leading the consumed queues in step 3, restart it in step 4 "
        "(needs --nodes 3 or more)",
    )
    rehearse.add_argument(
        "--restart-broker", action="store_true", help="restart that RabbitMQ mid-upgrade (implies --start-broker)"
    )
    rehearse.add_argument(
        "--crash-consumer", action="store_true", help="kill a collector in the middle of a batch (real broker only)"
    )
    rehearse.add_argument(
        "--samples", type=positive_int, default=500, metavar="N",
        help="samples the polling agents produce over the walk (default: 500); faults add theirs, counted apart",
    )
    rehearse.add_argument("--from", dest="from_release", type=release, default=DEFAULT_FROM_RELEASE,
                          metavar="RELEASE", help=f"the old Ceilometer release (default: {DEFAULT_FROM_RELEASE})")
    rehearse.add_argument("--to", dest="to_release", type=release, default=DEFAULT_TO_RELEASE, metavar="RELEASE",
                          help=f"the new Ceilometer release, newer than --from (default: {DEFAULT_TO_RELEASE})")
    rehearse.add_argument("--secret", default=DEFAULT_SECRET, help="telemetry_secret used to sign and verify")
    rehearse.add_argument(
        "--strict-consumer", action="append", metavar="KEY",
        help="make old consumers require KEY, as Ceilometer 21.0.0 required user_name (repeatable)",
    )
    rehearse.add_argument("--pin", action="store_true", help="pin new producers to the old release's keys")
    rehearse.add_argument("--dwell", type=seconds, default=None, metavar="SECONDS",
                          help="longest wait for consumers after each burst of traffic (default: 3, with --real 8)")
    rehearse.add_argument(
        "--real", action="store_true",
        help="run the --from and --to releases' own notification agents and polling sides (needs RabbitMQ; "
        "see ceilocompat environments)",
    )
    rehearse.add_argument(
        "--crash-agent", action="store_true",
        help="with --real: kill a real notification agent (SIGKILL) in step 2 and start it again",
    )
    rehearse.add_argument(
        "--polling-script", action="store_true",
        help="with --real: publish through each release's own polling code, driven batch by batch, instead of "
        "running its ceilometer-polling (which releases before 14.0.0 always do)",
    )
    rehearse.add_argument("--json", action="store_true", help="print the report as one JSON object")
    rehearse.set_defaults(handler=command_rehearse)
    return rehearse
