"""Real tickets: a recorder on a real database, and the import of other systems' logs.

See :class:`~fcsim.recorder.api.Recorder` (the Python API) and ``fcsim record`` (the CLI).
"""

from fcsim.recorder.api import Recorder, TicketRecord
from fcsim.recorder.checks import LifecycleError, RecorderError
from fcsim.recorder.importer import ImportFailed
from fcsim.recorder.mapping import Mapping, MappingError, builtin_mapping, load_mapping
from fcsim.recorder.quality import Measurability, QualityReport, Quarantined

__all__ = [
    "ImportFailed",
    "LifecycleError",
    "Mapping",
    "MappingError",
    "Measurability",
    "QualityReport",
    "Quarantined",
    "Recorder",
    "RecorderError",
    "TicketRecord",
    "builtin_mapping",
    "load_mapping",
]
