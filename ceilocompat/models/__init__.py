"""Wire models: one attrs definition per model drives everything else."""

from ceilocompat.models.event import Event, Trait, TraitType
from ceilocompat.models.fields import ModelVersion, wire_field
from ceilocompat.models.sample import Sample

__all__ = ["Event", "ModelVersion", "Sample", "Trait", "TraitType", "wire_field"]
