"""Objects shared read-only by all sessions: the dataset, map layers and rendered national maps.

Everything cached here is built once per server process (``st.cache_resource``) and never mutated afterwards;
per-session state lives in ``st.session_state`` only.
"""

from __future__ import annotations

import os

import streamlit as st

from regioindeling.app import layers as L
from regioindeling.app import mapview as V


@st.cache_resource(show_spinner="Loading the national dataset…")
def dataset(path: str | None = None):
    from regioindeling.data import load

    path = path or os.environ.get("REGIOINDELING_DATA") or None
    # The embedded dataset is validated by its build and by the test suite; skipping the checks here saves half
    # a second on the first page. Any other dataset directory is checked in full.
    return load(path, validate=path is not None)


@st.cache_resource(show_spinner=False)
def national_layers(version: str, _ds) -> dict[str, L.Layer]:
    return {
        "jeugdregio": L.jeugdregio_layer(_ds),
        "gemeente": L.gemeente_layer(_ds),
        "po": L.current_swv_layer(_ds, "po"),
        "vo": L.current_swv_layer(_ds, "vo"),
        "crossing_po": L.current_swv_layer(_ds, "po", crossing_only=True),
        "crossing_vo": L.current_swv_layer(_ds, "vo", crossing_only=True),
    }


@st.cache_resource(show_spinner=False)
def pc4_layer(version: str, jeugdregio: str, _ds) -> L.Layer:
    return L.pc4_layer(_ds, jeugdregio)


@st.cache_resource(show_spinner=False)
def school_points(version: str, jeugdregio: str | None, _ds):
    return L.school_points(_ds, jeugdregio)


@st.cache_resource(show_spinner=False, max_entries=64)
def proposal_layer(version: str, key: str, _ds, _assignment: dict, _swv_rows: list | None) -> L.Layer:
    """Keyed by the assignment hash (``layers.assignment_key``): the same proposal is dissolved only once."""
    return L.proposal_layer(_ds, _assignment, _swv_rows)


@st.cache_resource(show_spinner=False, max_entries=32)
def differing_layer(version: str, key_a: str, key_b: str, _ds, _a: dict, _b: dict) -> L.Layer:
    diff = L.differing_pc4(_ds, _a, _b)
    pa, pb = L.pc4_assignment(_ds, _a), L.pc4_assignment(_ds, _b)
    extra = {p: {"swv_a": pa.get(p, "-"), "swv_b": pb.get(p, "-")} for p in diff}
    return L.pc4_set_layer(_ds, diff, "PC4 areas that differ", extra)


def bounds_of(ds, jeugdregio: str | None, covered: list[str] | None = None) -> list[list[float]]:
    """Map bounds: one jeugdregio, else the jeugdregios a partial proposal covers, else the country."""
    jz = ds.jeugdregios
    geoms = jz if jeugdregio is None and not covered else jz[jz.jeugdregio.isin([jeugdregio] if jeugdregio else covered)]
    x0, y0, x1, y1 = geoms.total_bounds
    return [[round(y0, 4), round(x0, 4)], [round(y1, 4), round(x1, 4)]]


@st.cache_resource(show_spinner=False, max_entries=64)
def today_map_html(version: str, jeugdregio: str | None, _ds) -> str:
    """Today's map (national, or one jeugdregio with its PC4 areas), rendered once to a standalone page."""
    return build_map(_ds, version, jeugdregio).get_root().render()


def build_map(ds, version: str, jeugdregio: str | None, proposal: L.Layer | None = None,
              hubs: list[dict] | None = None, diff: L.Layer | None = None, crossing: bool = False,
              covered: list[str] | None = None):
    lay = national_layers(version, ds)
    m = V.new_map(bounds_of(ds, jeugdregio, covered))
    show_today = proposal is None and diff is None
    V.add_polygons(m, lay["po"], show=show_today and not crossing, fill_from_property=True)
    V.add_polygons(m, lay["vo"], show=False, fill_from_property=True)
    if crossing:
        V.add_polygons(m, lay["crossing_po"], V.STYLE["crossing"], show=True)
        V.add_polygons(m, lay["crossing_vo"], V.STYLE["crossing"], show=False)
    if jeugdregio is not None:
        V.add_polygons(m, pc4_layer(version, jeugdregio, ds), V.STYLE["pc4"], show=proposal is None and diff is None)
    if proposal is not None:
        V.add_polygons(m, proposal, show=True, fill_from_property=True)
    if diff is not None:
        V.add_polygons(m, diff, V.STYLE["diff"], show=True)
    V.add_polygons(m, lay["gemeente"], V.STYLE["gemeente"], show=jeugdregio is not None or bool(covered),
                   highlight=False)
    V.add_polygons(m, lay["jeugdregio"], V.STYLE["jeugdregio"], show=True, highlight=False)
    # Nationally only the facility sites (sbo/so/vso/pro, ~1,100) travel with the page; the ~7,500 bao/vo
    # sites would add half a megabyte, so they come with a jeugdregio focus.
    V.add_schools(m, school_points(version, jeugdregio, ds), show_clustered=False,
                  show_facilities=jeugdregio is not None or bool(covered), clustered=jeugdregio is not None)
    if hubs:
        V.add_hubs(m, hubs)
    legend = [("#111111", "line", "jeugdregio border"), ("#777777", "line", "gemeente border")]
    legend.append(("#1f77b4", "fill", "SWV area (neighbours in different colours)"))
    if crossing:
        legend.append(("#d00000", "line", "SWV crossing a jeugdregio border"))
    if diff is not None:
        legend.append(("#d00000", "fill", "PC4 area in a different SWV"))
    if hubs:
        legend.append(("#000000", "dot", "hub (centre of a new SWV)"))
    return V.finish(m, legend + V.school_legend())
