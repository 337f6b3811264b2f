"""Folium maps for the app: layer styles, school sites (facility types standing out), hubs and a legend.

Leaflet is served from the app's own ``static/`` folder (see .streamlit/config.toml), never from a CDN, so the
map works offline and no planner's browser calls third parties for scripts. Bao/vo sites are clustered on a
screen grid by a few lines of our own JavaScript (no plugin download); sbo, so, vso and pro sites are drawn
individually, larger and in strong colours, on top.
"""

from __future__ import annotations

import html
import json

import folium
from branca.element import MacroElement
from jinja2 import Template

from regioindeling.app.layers import FACILITY_SECTORS, SECTOR_COLOURS, Layer

LEAFLET_JS = [("leaflet", "/app/static/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", "/app/static/leaflet/leaflet.css")]
NL_CENTRE = (52.2, 5.4)

STYLE = {
    "jeugdregio": {"color": "#111111", "weight": 2.5, "fill": False},
    "gemeente": {"color": "#777777", "weight": 0.6, "fill": False},
    "crossing": {"color": "#d00000", "weight": 3, "dashArray": "6 4", "fillColor": "#d00000", "fillOpacity": 0.12},
    "pc4": {"color": "#555555", "weight": 0.5, "fillOpacity": 0.05},
    "diff": {"color": "#d00000", "weight": 0.8, "fillColor": "#d00000", "fillOpacity": 0.55},
}


class GridCluster(folium.map.Layer):
    """Points clustered on a screen grid (re-clustered on every zoom or pan), drawn as circle markers."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  var pts = {{ this.points|tojson }}, col = {{ this.colour|tojson }}, label = {{ this.label|tojson }};
  var map = {{ this._parent.get_name() }}, group = L.layerGroup(), cell = {{ this.cell_px }};
  function redraw() {
    if (!map.hasLayer(group)) return;
    group.clearLayers();
    var b = map.getBounds().pad(0.2), z = map.getZoom(), cells = {};
    for (var i = 0; i < pts.length; i++) {
      var p = pts[i];
      if (!b.contains([p[0], p[1]])) continue;
      var q = map.project([p[0], p[1]], z), k = Math.floor(q.x / cell) + ':' + Math.floor(q.y / cell);
      var c = cells[k] || (cells[k] = {n: 0, lat: 0, lon: 0, first: p});
      c.n++; c.lat += p[0]; c.lon += p[1];
    }
    for (var key in cells) {
      var c = cells[key];
      if (c.n === 1) {
        L.circleMarker([c.first[0], c.first[1]], {radius: 3, color: col, weight: 1, fillOpacity: 0.8})
          .bindTooltip(c.first[2]).addTo(group);
      } else {
        L.circleMarker([c.lat / c.n, c.lon / c.n], {radius: Math.min(5 + Math.sqrt(c.n) * 1.4, 20), color: col,
          weight: 1, fillOpacity: 0.35}).bindTooltip(c.n + ' ' + label).addTo(group);
      }
    }
  }
  group.on('add', function () { setTimeout(redraw, 0); });
  map.on('zoomend moveend', redraw);
  return group;
})();
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
""")

    def __init__(self, points: list, name: str, colour: str, label: str, show: bool = False, cell_px: int = 48):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GridCluster"
        self.points, self.colour, self.label, self.cell_px = points, colour, label, cell_px


class Legend(MacroElement):
    """A fixed box in the map corner explaining the colours."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var legend = L.control({position: 'bottomleft'});
  legend.onAdd = function () {
    var d = L.DomUtil.create('div', 'regioindeling-legend');
    d.innerHTML = {{ this.html|tojson }};
    d.style.cssText = 'background:rgba(255,255,255,.92);padding:6px 9px;font:12px/1.5 sans-serif;' +
      'border-radius:4px;box-shadow:0 0 4px #888;max-height:260px;overflow:auto';
    return d;
  };
  legend.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
""")

    def __init__(self, entries: list[tuple[str, str, str]]):
        super().__init__()
        self._name = "Legend"
        rows = []
        for colour, kind, text in entries:
            if kind == "line":
                swatch = f'<span style="display:inline-block;width:18px;border-top:3px solid {colour};margin:0 6px 3px 0"></span>'
            elif kind == "dot":
                swatch = f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:{colour};margin:0 10px 0 4px"></span>'
            else:
                swatch = f'<span style="display:inline-block;width:16px;height:10px;background:{colour};opacity:.6;margin:0 8px 0 0"></span>'
            rows.append(f"<div>{swatch}{text}</div>")
        self.html = "<b>Legend</b>" + "".join(rows)


def new_map(bounds: list[list[float]] | None = None, height: int = 620) -> folium.Map:
    m = folium.Map(location=NL_CENTRE, zoom_start=7, tiles="OpenStreetMap", prefer_canvas=True,
                   control_scale=True, height=height)
    # Instance attributes override folium's CDN list: only our vendored Leaflet is loaded.
    m.default_js = LEAFLET_JS
    m.default_css = LEAFLET_CSS
    if bounds:
        m.fit_bounds(bounds)
    return m


def add_polygons(m: folium.Map, layer: Layer, style: dict | None = None, show: bool = True,
                 fill_from_property: bool = False, highlight: bool = True) -> folium.GeoJson:
    """A polygon layer with tooltips; ``fill_from_property`` colours each feature by its ``colour`` property."""
    base = dict(style or {})

    def style_fn(feature, base=base):
        s = dict(base)
        if fill_from_property:
            c = feature["properties"].get("colour", "#888888")
            s.setdefault("color", "#333333")
            s.setdefault("weight", 0.8)
            s.update({"fillColor": c, "fillOpacity": s.get("fillOpacity", 0.45)})
        return s

    gj = folium.GeoJson(
        layer.geojson, name=layer.name, show=show, style_function=style_fn, smooth_factor=1.0,
        highlight_function=(lambda f: {"weight": 3, "color": "#000000"}) if highlight else None,
        tooltip=folium.GeoJsonTooltip(fields=list(layer.tooltip_fields), aliases=list(layer.tooltip_aliases),
                                      sticky=True) if layer.tooltip_fields else None,
    )
    gj.add_to(m)
    return gj


def add_schools(m: folium.Map, points, show_clustered: bool = False, show_facilities: bool = True,
                clustered: bool = True) -> None:
    """School sites: bao and vo clustered (if ``clustered``); sbo, so, vso, so/vso and pro as coloured dots."""
    for sector, label in (("bao", "bao school sites (clustered)"), ("vo", "vo school sites (clustered)")):
        if not clustered:
            break
        sub = points[points.sector == sector]
        pts = [[float(a), float(b), html.escape(f"{n} ({sector}, {int(p)} pupils)")]
               for a, b, n, p in zip(sub.lat, sub.lon, sub.name, sub.pupils)]
        GridCluster(pts, label, SECTOR_COLOURS[sector], f"{sector} sites", show=show_clustered).add_to(m)
    fac = points[points.sector.isin(FACILITY_SECTORS)]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lo), float(la)]},
         "properties": {"name": html.escape(n), "sector": s, "pupils": int(p), "code": c, "colour": SECTOR_COLOURS[s]}}
        for la, lo, n, s, p, c in zip(fac.lat, fac.lon, fac.name, fac.sector, fac.pupils, fac.code)]}
    folium.GeoJson(
        fc, name="sbo / so / vso / pro sites", show=show_facilities,
        marker=folium.CircleMarker(radius=5, weight=1.5, fill=True, fill_opacity=0.95),
        style_function=lambda f: {"color": "#000000", "fillColor": f["properties"]["colour"]},
        tooltip=folium.GeoJsonTooltip(fields=["name", "sector", "pupils", "code"],
                                      aliases=["School", "Sector", "Pupils", "Vestiging"]),
    ).add_to(m)


def add_hubs(m: folium.Map, hubs: list[dict], show: bool = True) -> None:
    """Hubs: ``[{"swv_id", "hub", "name", "lat", "lon"}]``."""
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [h["lon"], h["lat"]]},
         "properties": {k: html.escape(str(h[k])) for k in ("swv_id", "hub", "name")}} for h in hubs]}
    folium.GeoJson(
        fc, name="Hubs", show=show,
        marker=folium.CircleMarker(radius=7, weight=3, fill=True, fill_opacity=1.0),
        style_function=lambda f: {"color": "#000000", "fillColor": "#ffffff"},
        tooltip=folium.GeoJsonTooltip(fields=["swv_id", "hub", "name"], aliases=["SWV", "Hub unit", "Name"]),
    ).add_to(m)


def finish(m: folium.Map, legend: list[tuple[str, str, str]]) -> folium.Map:
    Legend(legend).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return m


def school_legend() -> list[tuple[str, str, str]]:
    return [(SECTOR_COLOURS[s], "dot", f"{s} site") for s in FACILITY_SECTORS + ("bao", "vo")]


def html_size(m: folium.Map) -> int:
    """Bytes of the rendered page (for the benchmark and tests)."""
    return len(m.get_root().render().encode("utf-8"))


def to_json(obj) -> str:
    return json.dumps(obj, sort_keys=True)
