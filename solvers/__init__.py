"""Pure optimisation models: plain units, distances and settings in, an assignment unit -> hub out.

No datasets, files or user interface here; :mod:`regioindeling.solve` feeds these models from a Dataset.
"""

from solvers.districting import Districting, DistrictingResult
from solvers.instance import INF, Instance, Locks, Settings

__all__ = ["Districting", "DistrictingResult", "INF", "Instance", "Locks", "Settings"]
