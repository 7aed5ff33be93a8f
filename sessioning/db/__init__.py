"""Everything about a database: connecting (``connect``), the embedded in-process database
(``embedded``), write recording and read-only handles (``watch``), and fault injection
(``faults``). Shared by both engine generations; knows neither."""

from .connect import ConnectionProblem, connect, load_config
from .faults import Faults
from .watch import ReadOnlyError

__all__ = ["ConnectionProblem", "Faults", "ReadOnlyError", "connect", "load_config"]
