"""The additive-only guarantee: manifests, the checker, golden payloads.

"Never remove, never alter, only add." A model version's wire contract is
written once to a manifest (:mod:`~ceilocompat.evolution.manifest`); the
checker (:mod:`~ceilocompat.evolution.checker`) compares the live models
with every released manifest and names each broken promise; golden payloads
(:mod:`~ceilocompat.evolution.golden`) of every version must decode at head
forever. The same checker serves third-party models against their own
manifests, in a test through :mod:`ceilocompat.pytest_plugin`.

>>> from ceilocompat import evolution
>>> evolution.check().ok
True
"""

from ceilocompat.evolution.checker import (
    CONTRACT_RULES,
    CheckReport,
    ContractViolation,
    IncompatibleChange,
    ModelCheck,
    WireModelChecker,
    assert_compatible,
    check,
    check_model,
    write_new_manifests,
)
from ceilocompat.evolution.golden import GOLDEN_SECRET, golden_payloads, write_golden
from ceilocompat.evolution.manifest import (
    PACKAGE_MANIFESTS,
    build_manifest,
    import_model,
    load_manifests,
    save_manifest,
    schema_of,
)

__all__ = [
    "CONTRACT_RULES",
    "GOLDEN_SECRET",
    "PACKAGE_MANIFESTS",
    "CheckReport",
    "ContractViolation",
    "IncompatibleChange",
    "ModelCheck",
    "WireModelChecker",
    "assert_compatible",
    "build_manifest",
    "check",
    "check_model",
    "golden_payloads",
    "import_model",
    "load_manifests",
    "save_manifest",
    "schema_of",
    "write_golden",
    "write_new_manifests",
]
