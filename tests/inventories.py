"""Inventories for the upgrade tests: pipeline files, builders, one per broken rule, clean ones."""

from __future__ import annotations

from ceilocompat.upgrade.inventory import parse_inventory
from ceilocompat.upgrade.plan import check_inventory

PIPELINE_A = """
sources: [{name: meter_source, meters: ['*'], sinks: [meter_sink]}]
sinks: [{name: meter_sink, publishers: ['notifier://']}]
"""
# The same pipelines as A, written another way.
PIPELINE_A2 = """
# reformatted
sinks:
  - publishers: [notifier://]
    name: meter_sink
sources:
  - name: meter_source
    sinks: [meter_sink]
    meters: ["*"]
"""
PIPELINE_B = """
sources: [{name: meter_source, meters: ['*', '!cpu'], sinks: [meter_sink]}]
sinks: [{name: meter_sink, publishers: ['notifier://']}]
"""
EVENTS_A = "sources: [{name: e, events: ['*'], sinks: [s]}]\nsinks: [{name: s, publishers: [notifier://]}]"
EVENTS_B = "sources: [{name: e, events: ['image.*'], sinks: [s]}]\nsinks: [{name: s, publishers: [notifier://]}]"


def svc(service: str, release: str, **settings) -> dict:
    return {"service": service, "release": release, **settings}


def notif(release: str, pipeline: str | None = None, **settings) -> dict:
    if pipeline is not None:
        settings.update(workload_partitioning=True, pipeline=pipeline)
    return svc("notification-agent", release, **settings)


def poller(release: str, pollsters: list[str], namespaces=("central",), **settings) -> dict:
    return svc("polling-agent", release, pollsters=list(pollsters), namespaces=list(namespaces), **settings)


def hosts(**services: list[dict]) -> dict:
    return {"hosts": [{"name": name, "services": entries} for name, entries in services.items()]}


def write_pipelines(tmp_path):
    """Write the pipeline files the inventories name into *tmp_path*; return it."""
    for name, text in {"a.yaml": PIPELINE_A, "a2.yaml": PIPELINE_A2, "b.yaml": PIPELINE_B,
                       "ea.yaml": EVENTS_A, "eb.yaml": EVENTS_B}.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def violations(data: dict, folder, path: str = "partial"):
    """The violations of an inventory given as data, its pipelines read from *folder*."""
    return check_inventory(parse_inventory(data, str(folder)), path)


# Each inventory breaks exactly one rule: (rule, path, inventory, a phrase of the reason).
BROKEN = {
    "database-first": ("database-first", "partial", hosts(
        ctl=[svc("database", "9.0.0"), svc("collector", "10.0.0")]), "the database (ctl/database) is still at 9.0.0"),
    "pipeline-mismatch": ("notification-pipeline-mismatch", "partial", hosts(
        a=[svc("database", "9.0.0"), notif("7.0.0", "a.yaml")], b=[notif("9.0.0", "b.yaml")]),
        "pipeline configuration differs"),
    "event-pipeline-mismatch": ("notification-pipeline-mismatch", "partial", hosts(
        a=[notif("7.0.0", "a.yaml", event_pipeline="ea.yaml")],
        b=[notif("9.0.0", "a2.yaml", event_pipeline="eb.yaml")]), "event pipeline"),
    "pipe-with-ipc": ("partition-queues", "partial", hosts(
        a=[svc("database", "10.0.0"), notif("9.0.0", "a.yaml")], b=[notif("10.0.0", "a2.yaml")]),
        "9.0.0 uses ceilometer-pipe-* queues but 10.0.0 uses ceilometer_ipc-* queues"),
    "publisher-id-filter": ("partition-queues", "partial", hosts(
        a=[notif("6.0.0", "a.yaml")], b=[notif("7.0.0", "a.yaml")]),
        "7.0.0 filters partitioning messages on publisher_id, which 6.0.0 does not set"),
    "partitioning-with-none": ("partition-queues", "partial", hosts(
        a=[notif("9.0.0", "a.yaml")], b=[notif("12.0.0")]),
        "12.0.0 has no workload partitioning queues"),
    "new-pollsters-in-old-group": ("polling-group-shared", "partial", hosts(
        a=[poller("9.0.0", ["image.size"])], b=[poller("10.0.0", ["image.size", "volume.size"])]),
        "adds pollsters volume.size but shares partitioning group central-global"),
    "new-pollsters-same-prefix": ("polling-group-shared", "partial", hosts(
        a=[poller("9.0.0", ["image.size"], partitioning_group_prefix="x")],
        b=[poller("10.0.0", ["volume.size"], partitioning_group_prefix="x")]), "central-x-global"),
    "own-group-polls-old-pollsters": ("polling-pollsters-overlap", "partial", hosts(
        a=[poller("9.0.0", ["image.size"])],
        b=[poller("10.0.0", ["image.size", "volume.size"], partitioning_group_prefix="queens")]),
        "also polls image.size"),
    "own-group-wildcard-covers-old": ("polling-pollsters-overlap", "partial", hosts(
        a=[poller("9.0.0", ["disk.read.bytes"])], b=[poller("10.0.0", ["disk.*"], partitioning_group_prefix="q")]),
        "also polls disk.*"),
    "own-group-old-wildcard": ("polling-pollsters-overlap", "partial", hosts(
        a=[poller("9.0.0", ["disk.*"])], b=[poller("10.0.0", ["disk.read.bytes"], partitioning_group_prefix="q")]),
        "also polls disk.read.bytes"),
    "polling-newer-than-notification": ("unpinned-producer", "partial", hosts(
        a=[poller("20.0.0", ["cpu"], namespaces=["compute"]), notif("18.0.0")]),
        "sends sample keys project_name, publisher_id, user_name"),
    "notification-newer-than-collector": ("unpinned-producer", "partial", hosts(
        a=[notif("9.0.0"), svc("collector", "8.0.0")]), "sends sample keys monotonic_time"),
    "backported-monotonic-time-to-an-older-collector": ("unpinned-producer", "partial", hosts(
        a=[notif("8.1.0"), svc("collector", "8.0.0")]),
        "a/notification-agent (8.1.0, unpinned) sends sample keys monotonic_time that a/collector (8.0.0, "
        "sample model 1.0) does not know"),
    "pinned-but-still-too-new": ("unpinned-producer", "partial", hosts(
        a=[notif("20.0.0", pin={"sample": "1.1"}), svc("collector", "8.0.0")]),
        "pinned to sample model 1.1) sends sample keys monotonic_time"),
    "strict-21-with-old-polling": ("strict-consumer", "partial", hosts(
        a=[poller("18.0.0", ["cpu"]), notif("21.0.0")]),
        "a/notification-agent (21.0.0) requires sample keys user_name, project_name, which a/polling-agent "
        "(18.0.0, sample model 1.1) does not send"),
    "strict-21-with-pinned-polling": ("strict-consumer", "partial", hosts(
        a=[poller("21.0.0", ["cpu"], pin={"sample": "1.1"}), notif("21.0.0")], b=[notif("18.0.0")]),
        "raises KeyError and is lost"),
    "full-strict-21-before-polling": ("strict-consumer", "full", hosts(
        a=[svc("collector", "21.0.0"), notif("21.0.0"), poller("18.0.0", ["cpu"])]), "user_name"),
    "two-apis": ("api-single-version", "partial", hosts(
        a=[svc("api", "8.0.0")], b=[svc("api", "9.0.0")]), "several api releases run at once"),
    "full-two-collectors": ("full-path-mixed-releases", "full", hosts(
        a=[svc("collector", "9.0.0")], b=[svc("collector", "10.0.0")]), "the collector runs several releases"),
    "full-notification-before-collector": ("full-path-order", "full", hosts(
        a=[svc("collector", "9.0.0"), notif("10.0.0")]), "upgrades every collector before any notification agent"),
    "full-polling-before-notification": ("full-path-order", "full", hosts(
        a=[notif("9.0.0"), poller("10.0.0", ["cpu"])]), "before any polling agent"),
}

CLEAN = {
    "full-path-in-order": ("full", hosts(
        a=[svc("database", "10.0.0"), svc("collector", "10.0.0"), notif("10.0.0", "a.yaml")],
        b=[notif("10.0.0", "a2.yaml"), poller("9.0.0", ["cpu"], namespaces=["compute"]), svc("api", "8.0.0")])),
    "new-notification-agent-not-partitioning": ("partial", hosts(
        a=[notif("9.0.0", "a.yaml")], b=[notif("10.0.0", workload_partitioning=False)])),
    "releases-without-partitioning-ignore-the-flag": ("partial", hosts(
        a=[notif("12.0.0", "a.yaml")], b=[notif("27.0.0", "b.yaml")])),
    "same-pipelines-written-differently": ("partial", hosts(
        a=[notif("7.0.0", "a.yaml", event_pipeline="ea.yaml")], b=[notif("9.0.0", "a2.yaml")])),
    "same-release-different-pipelines": ("partial", hosts(a=[notif("9.0.0", "a.yaml")], b=[notif("9.0.0", "b.yaml")])),
    "stable-backport-knows-the-new-keys": ("partial", hosts(
        a=[poller("20.0.0", ["cpu"]), notif("18.1.0"), notif("19.1.0")])),
    "fixed-strict-reader": ("partial", hosts(a=[poller("18.0.0", ["cpu"]), notif("22.0.0")])),
    "backported-keys-for-strict-reader": ("full", hosts(a=[notif("21.0.0"), poller("19.1.0", ["cpu"])])),
    "stable-backport-knows-monotonic-time": ("partial", hosts(
        a=[notif("9.0.0"), svc("collector", "7.1.0"), svc("collector", "8.1.0", name="ocata-collector")])),
    "pinned-producer": ("partial", hosts(a=[notif("20.0.0", pin={"sample": "1.0"}), svc("collector", "8.0.0")])),
    "new-pollsters-in-their-own-group": ("partial", hosts(
        a=[poller("9.0.0", ["image.size"])], b=[poller("10.0.0", ["volume.size"], partitioning_group_prefix="q")])),
    "compute-agents-on-other-hosts": ("partial", hosts(
        a=[poller("9.0.0", ["cpu"], namespaces=["compute"])],
        b=[poller("10.0.0", ["cpu", "memory.usage"], namespaces=["compute"])])),
    "same-pollsters-in-the-old-group": ("partial", hosts(
        a=[poller("9.0.0", ["disk.*", "cpu"], namespaces=["compute"]),
           poller("10.0.0", ["cpu", "disk.read.bytes"], namespaces=["compute"])])),
    "no-database-listed": ("partial", hosts(a=[svc("collector", "10.0.0"), svc("api", "8.0.0")])),
    "mixed-releases-are-the-partial-path": ("partial", hosts(
        a=[svc("collector", "9.0.0"), svc("collector", "10.0.0", name="new-collector")])),
}
