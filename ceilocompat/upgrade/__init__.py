"""The spec's upgrade procedures as code: plan, inventory checks, pipeline fingerprints.

- :mod:`~ceilocompat.upgrade.plan`: the services and the full and partial
  upgrade paths as data, and the rules an inventory is checked against.
- :mod:`~ceilocompat.upgrade.inventory`: read an inventory of running
  services and report every rule it breaks.
- :mod:`~ceilocompat.upgrade.fingerprint`: canonical fingerprints of
  ``pipeline.yaml`` and ``event_pipeline.yaml``.
- :mod:`~ceilocompat.upgrade.releases`: the model versions each release
  sends (releases themselves are read and ordered by
  :mod:`ceilocompat.releases`).
- :mod:`~ceilocompat.upgrade.command`: the ``ceilocompat plan`` command.

>>> from ceilocompat import upgrade
>>> [s.action.value for s in upgrade.PATHS["partial"].steps]
['migrate', 'add-alongside', 'add-alongside', 'add-alongside', 'replace']

The submodules keep their own names: ``upgrade.fingerprint`` is the module,
whose :func:`~ceilocompat.upgrade.fingerprint.fingerprint` hashes YAML text.

>>> upgrade.fingerprint.fingerprint("a: 1") == upgrade.fingerprint.fingerprint("{a: 1}")
True
"""

from ceilocompat.releases import parse_release
from ceilocompat.upgrade.fingerprint import FingerprintError, fingerprint_file
from ceilocompat.upgrade.inventory import (
    Inventory,
    InventoryError,
    Violation,
    check_inventory,
    load_inventory,
    parse_inventory,
)
from ceilocompat.upgrade.plan import PATHS, RULES, SERVICES, Action, Step, UpgradePath
from ceilocompat.upgrade.releases import model_version

__all__ = [
    "Action",
    "FingerprintError",
    "Inventory",
    "InventoryError",
    "PATHS",
    "RULES",
    "SERVICES",
    "Step",
    "UpgradePath",
    "Violation",
    "check_inventory",
    "fingerprint_file",
    "load_inventory",
    "model_version",
    "parse_inventory",
    "parse_release",
]
