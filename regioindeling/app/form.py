"""The scenario form, generated from the pydantic :class:`~regioindeling.scenario.Scenario` fields.

Every field becomes a control with the field's default and its description as help text, so a new scenario
parameter appears in the app without touching this module. Values are validated by ``scenario_from_dict``;
a bad value becomes one :class:`InputError` line.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass

from pydantic import BaseModel

from regioindeling.scenario import Scenario, scenario_from_dict

PREFIX = "sc"
SECTION_TITLES = {
    "units": "Units", "travel": "Travel", "facilities": "Facilities (dekkend netwerk)", "size": "Size",
    "contiguity": "Contiguity", "locks": "Locks", "objective": "Objective", "solver": "Solver",
}


@dataclass(frozen=True)
class FieldSpec:
    """One form control: its widget key, the scenario path, the widget kind and the choices."""

    key: str
    path: tuple[str, ...]
    label: str
    help: str
    kind: str  # "bool" | "int" | "float" | "optint" | "choice" | "multi" | "text" | "json"
    default: typing.Any
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None


def _bounds(info) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in info.metadata:
        for attr, is_lo in (("ge", True), ("gt", True), ("le", False), ("lt", False)):
            v = getattr(m, attr, None)
            if v is not None:
                if is_lo:
                    lo = v
                else:
                    hi = v
    return lo, hi


def _spec(path: tuple[str, ...], name: str, info, default, choices_for) -> FieldSpec:
    ann = info.annotation
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    help_text = info.description or ""
    key = ".".join((PREFIX,) + path)
    label = name.replace("_", " ")
    lo, hi = _bounds(info)
    if ann is bool:
        return FieldSpec(key, path, label, help_text, "bool", default)
    if ann is int:
        return FieldSpec(key, path, label, help_text, "int", default, minimum=lo, maximum=hi)
    if ann is float:
        return FieldSpec(key, path, label, help_text, "float", default, minimum=lo, maximum=hi)
    if origin in (typing.Union, types.UnionType) and set(args) == {int, type(None)}:
        return FieldSpec(key, path, label, (help_text + " 0 = no target.").strip(), "optint", default or 0)
    if origin is typing.Literal:
        return FieldSpec(key, path, label, help_text, "choice", default, choices=args)
    if origin is list and args and typing.get_origin(args[0]) is typing.Literal:
        return FieldSpec(key, path, label, help_text, "multi", list(default), choices=typing.get_args(args[0]))
    if origin is list and args and args[0] is str:
        choices = choices_for(path)
        if choices:
            return FieldSpec(key, path, label, help_text, "multi", list(default), choices=tuple(choices))
    if ann is str:
        return FieldSpec(key, path, label, help_text, "text", default)
    # dicts and nested lists: edited as JSON (e.g. {"sbo": 20} or [["GM0363", "GM0384"]])
    return FieldSpec(key, path, label, (help_text + " Enter JSON.").strip(), "json", default)


def field_specs(choices_for=lambda path: ()) -> list[FieldSpec]:
    """Every scenario field in declaration order; ``choices_for(path)`` offers options for code lists."""
    base = Scenario()
    out = []
    for name, info in Scenario.model_fields.items():
        value = getattr(base, name)
        if isinstance(value, BaseModel):
            for sub, sinfo in type(value).model_fields.items():
                out.append(_spec((name, sub), sub, sinfo, getattr(value, sub), choices_for))
        else:
            out.append(_spec((name,), name, info, value, choices_for))
    return out


def widget_value(spec: FieldSpec, value):
    """A scenario value as the widget holds it."""
    if spec.kind == "json":
        return json.dumps(value, sort_keys=True)
    if spec.kind == "optint":
        return int(value or 0)
    if spec.kind == "multi":
        return list(value)
    if spec.kind == "float":
        return float(value)
    return value


def state_from_scenario(scenario: Scenario, specs: list[FieldSpec]) -> dict:
    """Widget keys -> values for ``scenario`` (load a saved scenario into the form)."""
    data = scenario.to_dict()
    out = {}
    for spec in specs:
        v = data
        for p in spec.path:
            v = v[p]
        out[spec.key] = widget_value(spec, v)
    return out


def check_choices(scenario: Scenario, specs: list[FieldSpec], source: str) -> None:
    """Codes the form can only offer from the dataset (jeugdregios, GM codes, SWV codes) must exist there."""
    data = scenario.to_dict()
    for spec in specs:
        if spec.kind != "multi":
            continue
        v = data
        for p in spec.path:
            v = v[p]
        unknown = [x for x in v if x not in spec.choices]
        if unknown:
            from regioindeling.errors import InputError

            raise InputError(source, f"unknown code '{unknown[0]}'",
                             f"use codes of the dataset (e.g. {', '.join(map(str, spec.choices[:3]))})",
                             field=".".join(spec.path))


def form_values(state, specs: list[FieldSpec]) -> dict:
    """The planner's form values by widget key, from any tab.

    The widgets' own state is current only in a run that drew the form: on another tab Streamlit may hand back
    the value first assigned to the key (the default) instead of the planner's choice, so BACKUP is read there.
    A plain dict (no run counters) is taken as it is.
    """
    drawn_now = state.get(DRAWN) == state.get(RUN)
    backup = state.get(BACKUP, {})
    out = {}
    for spec in specs:
        if drawn_now and spec.key in state:
            out[spec.key] = state[spec.key]
        else:
            out[spec.key] = backup.get(spec.key, state.get(spec.key, widget_value(spec, spec.default)))
    return out


def scenario_from_state(state, specs: list[FieldSpec], source: str = "scenario form") -> Scenario:
    """Build and validate the scenario from the form (:func:`form_values`); raises InputError naming the field."""
    from regioindeling.errors import InputError

    values = form_values(state, specs)
    data: dict = {}
    for spec in specs:
        v = values[spec.key]
        if spec.kind == "json":
            text = str(v).strip() or "{}"
            try:
                v = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(source, f"not valid JSON ({exc.msg} at column {exc.colno})",
                                 'write e.g. {"sbo": 20} or [["GM0363", "GM0384"]]', field=".".join(spec.path)) from None
        elif spec.kind == "optint":
            v = int(v) if v else None
        target = data
        for p in spec.path[:-1]:
            target = target.setdefault(p, {})
        target[spec.path[-1]] = v
    return scenario_from_dict(data, source)


# Streamlit may drop a widget's state while the widget is not drawn (another tab is open, or a fragment reruns
# on its own); every change is therefore also kept under this plain key, which Streamlit never cleans up.
BACKUP = "form_values"


def _remember(state, key: str) -> None:
    state.setdefault(BACKUP, {})[key] = state[key]


RUN = "run_no"  # counts full-page script runs (main() increments it; fragment reruns do not)
DRAWN = "form_drawn_in_run"


def render(st, specs: list[FieldSpec], disabled: bool = False) -> None:
    """Draw the controls, grouped per section in expanders (values live in ``st.session_state``).

    When the form was not drawn in the previous run (another tab was open), its widgets are new to this run and
    take the planner's values from BACKUP. While it stays on screen, nothing is written to the widgets' state:
    a value set from the server is pushed to the browser and would undo a choice made during a running rerun.
    """
    backup = st.session_state.setdefault(BACKUP, {})
    run = st.session_state.get(RUN, 0)
    fresh = st.session_state.get(DRAWN) != run - 1
    st.session_state[DRAWN] = run
    for spec in specs:
        if fresh or spec.key not in st.session_state:
            st.session_state[spec.key] = backup.get(spec.key, widget_value(spec, spec.default))
    top = [s for s in specs if len(s.path) == 1]
    for spec in top:
        _widget(st, spec, disabled)
    sections: dict[str, list[FieldSpec]] = {}
    for spec in specs:
        if len(spec.path) == 2:
            sections.setdefault(spec.path[0], []).append(spec)
    for section, items in sections.items():
        with st.expander(SECTION_TITLES.get(section, section), expanded=section in ("travel", "size")):
            for spec in items:
                _widget(st, spec, disabled)


def _widget(st, spec: FieldSpec, disabled: bool) -> None:
    kw = dict(key=spec.key, help=spec.help or None, disabled=disabled, on_change=_remember,
              args=(st.session_state, spec.key))
    if spec.kind == "bool":
        st.checkbox(spec.label, **kw)
    elif spec.kind == "int":
        st.number_input(spec.label, min_value=int(spec.minimum) if spec.minimum is not None else None,
                        max_value=int(spec.maximum) if spec.maximum is not None else None, step=1, **kw)
    elif spec.kind == "optint":
        st.number_input(spec.label, min_value=0, step=1, **kw)
    elif spec.kind == "float":
        st.number_input(spec.label, min_value=float(spec.minimum) if spec.minimum is not None else None,
                        max_value=float(spec.maximum) if spec.maximum is not None else None, **kw)
    elif spec.kind == "choice":
        st.selectbox(spec.label, list(spec.choices), **kw)
    elif spec.kind == "multi":
        st.multiselect(spec.label, list(spec.choices), **kw)
    elif spec.kind == "text":
        st.text_input(spec.label, **kw)
    else:
        st.text_input(spec.label, **kw)
