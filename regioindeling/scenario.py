"""Scenario files: a TOML document validated with pydantic.

Every field has a default, so an empty file is the default scenario; ``scenarios/default.toml`` spells the
defaults out and says why each value was chosen. Unknown keys are refused (a typo must not silently fall back
to a default).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from regioindeling.errors import InputError
from regioindeling.model import FACILITY_TYPES, DisjointSets


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # no infinite limits


class Units(_Section):
    level: Literal["gemeente", "pc4", "hybrid"] = Field(
        "hybrid", description="gemeente: whole gemeenten; pc4: postcode areas; hybrid: whole gemeenten "
        "except those above size.max_pupils, which are split into PC4 areas.")
    keep_whole: list[str] = Field(
        default_factory=list, description="GM codes never split into PC4 areas at level hybrid.")


class Travel(_Section):
    max_km: float = Field(45.0, gt=0, description="Max travel distance (km) from every PC4 centre to its SWV hub.")
    detour_factor: float = Field(1.3, ge=1.0, le=3.0, description="Road distance / straight-line distance.")
    facility_max_km: dict[str, float] = Field(
        default_factory=dict, description="Optional max km from every PC4 to the nearest site of a facility type "
        "inside its SWV, e.g. {sbo = 20}.")

    @model_validator(mode="after")
    def _known_facilities(self) -> "Travel":
        for key, km in self.facility_max_km.items():
            if key not in FACILITY_TYPES:
                raise ValueError(f"facility_max_km: unknown facility type '{key}' (use one of {', '.join(FACILITY_TYPES)})")
            if km <= 0:
                raise ValueError(f"facility_max_km.{key} must be > 0 km, got {km}")
        return self


class Facilities(_Section):
    required: list[Literal["sbo", "so", "vso", "pro"]] = Field(
        default_factory=lambda: list(FACILITY_TYPES),
        description="Facility types every SWV must contain; so/vso sites count for both so and vso.")
    exempt_absent: bool = Field(
        True, description="A required type with no site anywhere in a jeugdregio is not required of that "
        "jeugdregio's SWVs (no indeling inside the jeugdregio can provide it; e.g. Utrecht West has no so/vso).")


class Size(_Section):
    min_pupils: int = Field(0, ge=0, description="Min pupils (po + vo) per SWV.")
    max_pupils: int = Field(60_000, gt=0, description="Max pupils (po + vo) per SWV.")

    @model_validator(mode="after")
    def _ordered(self) -> "Size":
        if self.min_pupils > self.max_pupils:
            raise ValueError(f"min_pupils ({self.min_pupils}) is above max_pupils ({self.max_pupils})")
        return self


class Contiguity(_Section):
    enabled: bool = True
    ferry_links: bool = True


class Locks(_Section):
    pin: dict[str, str] = Field(default_factory=dict, description="unit code -> named SWV (units pinned to one name share it).")
    together: list[list[str]] = Field(default_factory=list, description="Groups of units that must share an SWV.")
    apart: list[list[str]] = Field(default_factory=list, description="Pairs of units that must not share an SWV.")
    keep_current_whole: list[str] = Field(default_factory=list, description="Current SWV codes (PO…/VO…) kept in one new SWV.")

    @model_validator(mode="after")
    def _shapes(self) -> "Locks":
        for group in self.together:
            if len(group) < 2:
                raise ValueError("locks.together: every group needs at least two unit codes")
        for pair in self.apart:
            if len(pair) != 2:
                raise ValueError("locks.apart: every entry must be a pair of two unit codes")
            if pair[0] == pair[1]:
                raise ValueError(f"locks.apart: unit {pair[0]} cannot be kept apart from itself")
        self._consistent()
        return self

    def _consistent(self) -> None:
        """Locks that contradict each other by their codes alone (no data needed); the solver checks the rest
        (e.g. a GM code against its own PC4 codes)."""
        sets = DisjointSets()
        find, union = sets.find, sets.union
        by_name: dict[str, list[str]] = {}
        for unit, name in sorted(self.pin.items()):
            by_name.setdefault(name, []).append(unit)
        for group in [*by_name.values(), *self.together]:
            for u in group[1:]:
                union(group[0], u)
        for a, b in self.apart:
            if find(a) == find(b):
                raise ValueError(f"units {a} and {b} are kept apart (locks.apart) but also together "
                                 "(locks.together or one pin name); fix: remove one of the two locks")
        name_of: dict[str, str] = {}
        for name, units in sorted(by_name.items()):
            root = find(units[0])
            if name_of.setdefault(root, name) != name:
                raise ValueError(f"pins '{name_of[root]}' and '{name}' are joined by locks.together, but "
                                 "different pin names mean different SWVs; fix: remove the together group or use "
                                 "one pin name")


class Objective(_Section):
    travel: float = Field(1.0, ge=0, description="Weight of pupil-weighted travel distance (pupil-km).")
    disruption: float = Field(0.5, ge=0, description="Weight per pupil whose po or vo SWV territory changes (in pupil-km).")
    swv_count: float = Field(0.0, ge=0, description="Weight per SWV opened (in pupil-km).")
    target_swvs_national: int | None = Field(
        None, gt=0, description="Exact number of SWVs in the whole country; the count per jeugdregio is chosen "
        "to cost least in total. Needs a run over every jeugdregio.")
    target_swvs_per_jeugdregio: dict[str, int] = Field(default_factory=dict, description="JZ code -> exact number of SWVs.")

    @model_validator(mode="after")
    def _targets(self) -> "Objective":
        for jz, n in self.target_swvs_per_jeugdregio.items():
            if n < 1:
                raise ValueError(f"target_swvs_per_jeugdregio.{jz} must be >= 1, got {n}")
        return self


class Solver(_Section):
    backend: Literal["highs", "cbc"] = "highs"
    time_limit_s: float = Field(60.0, gt=0)
    gap: float = Field(0.0, ge=0, le=1, description="Relative MIP gap at which a solve counts as done.")
    threads: int = Field(2, ge=1, le=64)
    seed: int = Field(0, ge=0)
    processes: int = Field(2, ge=1, le=64, description="Jeugdregio's solved in parallel.")
    total_time_s: float = Field(
        0.0, ge=0, description="Wall-clock seconds for the whole run (0: no overall limit). Each jeugdregio then "
        "gets an equal share of the time left as it starts (smallest models first), at most time_limit_s; time a "
        "jeugdregio does not use passes on to the rest.")


class Scenario(_Section):
    """A planner's scenario. See ``scenarios/default.toml`` for the documented defaults."""

    name: str = "default"
    description: str = ""
    jeugdregios: list[str] = Field(default_factory=list, description="Only solve these JZ codes (empty: all).")
    units: Units = Field(default_factory=Units)
    travel: Travel = Field(default_factory=Travel)
    facilities: Facilities = Field(default_factory=Facilities)
    size: Size = Field(default_factory=Size)
    contiguity: Contiguity = Field(default_factory=Contiguity)
    locks: Locks = Field(default_factory=Locks)
    objective: Objective = Field(default_factory=Objective)
    solver: Solver = Field(default_factory=Solver)

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")


def _field_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _fix_for(err: dict) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "remove or correct the key (see scenarios/default.toml for every valid key)"
    if kind == "missing":
        return "add the key"
    if kind.startswith(("greater_than", "less_than")):
        return "use a value inside the allowed range"
    if kind == "literal_error":
        return "use one of the allowed values named above"
    return "correct the value as described (see scenarios/default.toml)"


def scenario_from_dict(data: dict, source: str = "<scenario>") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        msg, sep, fix = msg.partition("; fix: ")  # a validator may name its own fix
        raise InputError(source, msg, fix if sep else _fix_for(err), field=_field_path(err["loc"])) from None


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario TOML file; every problem becomes one :class:`InputError` line."""
    from regioindeling.paths import DEFAULT_SCENARIO

    path = Path(path) if path is not None else DEFAULT_SCENARIO
    if not path.is_file():
        raise InputError(path, "scenario file not found", "give the path of an existing .toml scenario file")
    return scenario_from_bytes(path.read_bytes(), str(path))


def scenario_from_bytes(raw: bytes, source: str) -> Scenario:
    """Decode, parse and validate scenario TOML (a file's or an upload's bytes); ``source`` names it in errors."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(source, "not a UTF-8 text file", "save the scenario as UTF-8 TOML") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, f"invalid TOML ({exc})", "correct the TOML syntax at the position named") from None
    return scenario_from_dict(data, source)


def scenario_to_toml(scenario: Scenario) -> str:
    """Serialise a scenario as TOML (deterministic key order), for the scenario store and exports."""
    return _dump_toml(scenario.to_dict())


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + "".join(_TOML_ESCAPES.get(c) or (f"\\u{ord(c):04X}" if _is_control(c) else c) for c in v) + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _is_control(c: str) -> bool:
    # TOML basic strings may hold neither U+0000-U+001F nor U+007F unescaped
    return ord(c) < 0x20 or ord(c) == 0x7F


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else _toml_value(k)


def _dump_toml(data: dict) -> str:
    lines: list[str] = []
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for k, v in data.items():
        if k not in tables and v is not None:
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for name, table in tables.items():
        lines.append("")
        lines.append(f"[{name}]")
        for k, v in table.items():
            if v is not None:
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"
