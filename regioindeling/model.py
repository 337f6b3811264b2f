"""Domain types shared by the loader, the evaluator, the solvers and the app.

A *unit* is the atom a proposal assigns: a whole gemeente (code ``GM0363``) or a PC4 area (code ``"1011"``).
A *proposal* maps every unit to a new SWV id. Coordinates are RD New (EPSG:28992) metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["gemeente", "pc4", "hybrid"]
UnitKind = Literal["gemeente", "pc4"]
EdgeKind = Literal["border", "ferry", "link"]

# so/vso sites count for both so and vso (principle 2, dekkend aanbod).
FACILITY_TYPES: tuple[str, ...] = ("sbo", "so", "vso", "pro")
SECTORS: tuple[str, ...] = ("bao", "sbo", "so", "vso", "so/vso", "vo", "pro")


def facility_types_of(sector: str) -> tuple[str, ...]:
    """The required facility types a school site of ``sector`` provides."""
    if sector == "so/vso":
        return ("so", "vso")
    return (sector,) if sector in FACILITY_TYPES else ()


def is_gemeente_code(code: str) -> bool:
    return len(code) == 6 and code.startswith("GM") and code[2:].isdigit()


def is_pc4_code(code: str) -> bool:
    return len(code) == 4 and code.isdigit()


@dataclass(frozen=True, slots=True)
class Unit:
    """One assignable area with everything the model needs about it."""

    code: str
    kind: UnitKind
    name: str
    gemeente: str
    jeugdregio: str
    pupils_po: float
    pupils_vo: float
    x: float
    y: float
    pc4s: tuple[str, ...]
    facilities: dict[str, int] = field(default_factory=dict)
    # Estimated po pupils per current po SWV code, and vo pupils per current vo SWV code (disruption measures).
    current_po: dict[str, float] = field(default_factory=dict)
    current_vo: dict[str, float] = field(default_factory=dict)

    @property
    def pupils(self) -> float:
        return self.pupils_po + self.pupils_vo


@dataclass(frozen=True, slots=True)
class Edge:
    """Two units that may share an SWV without breaking contiguity; ``kind`` says why."""

    a: str
    b: str
    kind: EdgeKind = "border"


@dataclass(frozen=True)
class Proposal:
    """A new indeling: every unit to an SWV id, plus the hub of each SWV (optional for imports).

    ``scenario`` and ``solver`` are plain dicts so a proposal round-trips through GeoJSON unchanged.
    """

    assignment: dict[str, str]
    hubs: dict[str, str] = field(default_factory=dict)
    name: str = "proposal"
    scenario: dict | None = None
    solver: dict | None = None
    data_version: str | None = None

    def swv_ids(self) -> list[str]:
        return sorted(set(self.assignment.values()))

    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for unit, swv in sorted(self.assignment.items()):
            out.setdefault(swv, []).append(unit)
        return out


class DisjointSets:
    """Union-find over codes, for locks that join units (pins, together groups) and checks against ``apart``."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        parent = self._parent
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the smaller code becomes the root, so roots do not depend on the order of the unions
            self._parent[max(ra, rb)] = min(ra, rb)
