"""The spec's upgrade procedures as code: services, paths, rules, inventories, rehearsals.

- :mod:`~ceilocompat.upgrade.services`: the spec's five services and the
  routes each consumes and produces.
- :mod:`~ceilocompat.upgrade.plan`: the full and partial upgrade paths as
  data, and :func:`check_inventory`.
- :mod:`~ceilocompat.upgrade.rules`: each rule an inventory is checked
  against, with its check.
- :mod:`~ceilocompat.upgrade.inventory`: reading an inventory of running
  services.
- :mod:`~ceilocompat.upgrade.pipelines`: canonical fingerprints of
  ``pipeline.yaml`` and ``event_pipeline.yaml``.
- :mod:`~ceilocompat.upgrade.rehearsal` and
  :mod:`~ceilocompat.upgrade.faults`: a live-traffic rehearsal of a path,
  and the faults injected into it.

>>> from ceilocompat import upgrade
>>> [s.action.value for s in upgrade.PATHS["partial"].steps]
['migrate', 'add-alongside', 'add-alongside', 'add-alongside', 'replace']
>>> upgrade.pipeline_fingerprint("a: 1") == upgrade.pipeline_fingerprint("{a: 1}")
True
"""

from ceilocompat.upgrade.inventory import Deployed, Inventory, InventoryError, load_inventory, parse_inventory
from ceilocompat.upgrade.pipelines import FingerprintError, fingerprint_file, pipeline_fingerprint
from ceilocompat.upgrade.plan import PATHS, Action, Condition, Step, UpgradePath, check_inventory
from ceilocompat.upgrade.rules import RULES, Rule, RuleViolation
from ceilocompat.upgrade.services import SERVICES, Service, service_named

__all__ = [
    "PATHS",
    "RULES",
    "SERVICES",
    "Action",
    "Condition",
    "Deployed",
    "FingerprintError",
    "Inventory",
    "InventoryError",
    "Rule",
    "RuleViolation",
    "Service",
    "Step",
    "UpgradePath",
    "check_inventory",
    "fingerprint_file",
    "load_inventory",
    "parse_inventory",
    "pipeline_fingerprint",
    "service_named",
]
