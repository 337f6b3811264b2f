"""A self-contained HTML report for one gemeente: what a proposal changes for it, why, and its KPIs.

The page has no scripts and no external resources: the three maps (today's po SWVs, today's vo SWVs, the
proposal) are inline SVG, projected here from RD New (so they work offline and print on A4). The text is in
Dutch, for the municipality's own staff and council.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from regioindeling.errors import InputError
from regioindeling.evaluate import FACILITY_SECTOR, Evaluation
from regioindeling.geometry import RD, dissolve
from regioindeling.model import FACILITY_TYPES, Proposal
from regioindeling.report_template import TEMPLATE

PALETTE = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
           "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9")
SVG_SIZE = 300.0
FAC_LABEL = {"sbo": "sbo (speciaal basisonderwijs)", "so": "so (speciaal onderwijs)",
             "vso": "vso (voortgezet speciaal onderwijs)", "pro": "pro (praktijkonderwijs)"}


def _e(x) -> str:
    return html.escape(str(x))


def _num(x, nd: int = 0) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    s = f"{x:,.{nd}f}"
    return s.replace(",", "\u2009") if nd == 0 else s.replace(",", "\u2009").replace(".", ",")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# ---------------------------------------------------------------------------------------------- SVG maps


@dataclass
class _Frame:
    minx: float
    miny: float
    side: float

    @property
    def box(self):
        return shapely.box(self.minx, self.miny, self.minx + self.side, self.miny + self.side)

    def pt(self, x: float, y: float) -> tuple[float, float]:
        s = SVG_SIZE / self.side
        return (x - self.minx) * s, (self.miny + self.side - y) * s

    def path(self, geom) -> str:
        parts = []
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                s = SVG_SIZE / self.side
                px, py = (xy[:, 0] - self.minx) * s, (self.miny + self.side - xy[:, 1]) * s
                parts.append("M" + " L".join(f"{a:.1f} {b:.1f}" for a, b in zip(px, py)) + " Z")
        return " ".join(parts)

    def lines(self, geom) -> str:
        parts = []
        for line in getattr(geom, "geoms", [geom]):
            if line.is_empty or line.geom_type not in ("LineString", "LinearRing"):
                continue
            xy = np.asarray(line.coords)
            s = SVG_SIZE / self.side
            px, py = (xy[:, 0] - self.minx) * s, (self.miny + self.side - xy[:, 1]) * s
            parts.append("M" + " L".join(f"{a:.1f} {b:.1f}" for a, b in zip(px, py)))
        return " ".join(parts)


def _frame(gm_geom) -> _Frame:
    minx, miny, maxx, maxy = gm_geom.bounds
    side = max(maxx - minx, maxy - miny) * 1.6 + 12_000.0  # the gemeente plus its neighbours
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return _Frame(cx - side / 2, cy - side / 2, side)


def _areas(pc_rd: gpd.GeoDataFrame, labels: pd.Series, frame: _Frame) -> dict[str, object]:
    """label -> its area (dissolved PC4s, clipped to the frame, simplified for display)."""
    out = {}
    tol = frame.side / 600
    for lab, sub in pc_rd.groupby(labels.loc[pc_rd.index], sort=True):
        if lab == "":
            continue
        g = shapely.intersection(dissolve(sub.geometry.values), frame.box, grid_size=1.0)
        g = shapely.simplify(g, tol)
        if not g.is_empty:
            out[str(lab)] = g
    return out


def _svg(frame: _Frame, areas: dict[str, object], gm_geom, jz_lines, gm_lines, own: set[str],
         hubs: dict[str, tuple[float, float]], title: str) -> tuple[str, str]:
    colours = {lab: PALETTE[i % len(PALETTE)] for i, lab in enumerate(sorted(areas))}
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_SIZE:.0f} {SVG_SIZE:.0f}" role="img" '
         f'aria-label="{_e(title)}">']
    for lab in sorted(areas):
        s.append(f'<path d="{frame.path(areas[lab])}" fill="{colours[lab]}" fill-opacity="{0.95 if lab in own else 0.55}" '
                 f'fill-rule="evenodd" stroke="#555" stroke-width="0.6"><title>{_e(lab)}</title></path>')
    if gm_lines:
        s.append(f'<path d="{gm_lines}" fill="none" stroke="#9aa3ad" stroke-width="0.4"/>')
    if jz_lines:
        s.append(f'<path d="{jz_lines}" fill="none" stroke="#7a1f5c" stroke-width="1.3" stroke-dasharray="5 3"/>')
    s.append(f'<path d="{frame.path(gm_geom)}" fill="none" stroke="#111" stroke-width="2.2"/>')
    for lab in sorted(areas):
        g = areas[lab]
        big = max(getattr(g, "geoms", [g]), key=lambda p: p.area)
        if big.area < (frame.side * 0.06) ** 2:
            continue
        x, y = frame.pt(*shapely.get_coordinates(big.point_on_surface())[0])
        s.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="9" text-anchor="middle" font-family="Arial, sans-serif" '
                 f'font-weight="{700 if lab in own else 400}" fill="#222" stroke="#fff" stroke-width="2.2" '
                 f'paint-order="stroke">{_e(lab)}</text>')
    for lab, (hx, hy) in sorted(hubs.items()):
        x, y = frame.pt(hx, hy)
        if 0 <= x <= SVG_SIZE and 0 <= y <= SVG_SIZE:
            s.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="#fff" stroke="#111" stroke-width="1.4">'
                     f'<title>hub {_e(lab)}</title></circle>')
    km = 10 if frame.side > 40_000 else 5
    bar = km * 1000 * SVG_SIZE / frame.side
    s.append(f'<g font-size="8" font-family="Arial, sans-serif"><rect x="8" y="{SVG_SIZE - 14:.0f}" width="{bar:.1f}" '
             f'height="3" fill="#333"/><text x="8" y="{SVG_SIZE - 17:.0f}">{km} km</text></g>')
    s.append("</svg>")
    legend = "".join(f'<span><i style="background:{colours[lab]}"></i>{"<b>" if lab in own else ""}{_e(lab)}'
                     f'{"</b>" if lab in own else ""}</span>' for lab in sorted(areas))
    return "".join(s), legend


def _maps(ds, proposal: Proposal, ev: Evaluation, gemeente: str, own_new: set[str]) -> str:
    pc = ds.pc4
    gm_rd = ds.gemeenten[ds.gemeenten.gemeente == gemeente].to_crs(RD).geometry.iloc[0]
    frame = _frame(gm_rd)
    box_wgs = gpd.GeoSeries([frame.box], crs=RD).to_crs(4326).iloc[0]
    near = pc[pc.geometry.intersects(box_wgs)]
    pc_rd = near.to_crs(RD)
    gm_of = dict(zip(pc.pc4, pc.gemeente))
    new = pd.Series([proposal.assignment.get(p, proposal.assignment.get(gm_of[p], "")) for p in near.pc4],
                    index=near.index)
    gm_pc = pc[pc.gemeente == gemeente]
    own_po, own_vo = set(gm_pc.swv_po), set(gm_pc.swv_vo)
    jz = ds.jeugdregios.to_crs(RD)
    jz_lines = frame.lines(shapely.intersection(shapely.union_all(jz.boundary.values), frame.box))
    gms = ds.gemeenten[ds.gemeenten.intersects(box_wgs)].to_crs(RD)
    gm_lines = frame.lines(shapely.intersection(shapely.union_all(gms.boundary.values), frame.box))
    hubs = {}
    gx, gy = dict(zip(ds.gemeenten.gemeente, zip(ds.gemeenten.x, ds.gemeenten.y))), dict(zip(pc.pc4, zip(pc.x, pc.y)))
    for swv, hub in ev.hubs.items():
        if swv in set(new):
            hubs[swv] = gx.get(hub) or gy.get(hub)
    name = ds.gemeente_names.get(gemeente, gemeente)
    out = []
    for title, labels, own, h in (
        (f"Vandaag: po-samenwerkingsverbanden rond {name}", near.swv_po, own_po, {}),
        (f"Vandaag: vo-samenwerkingsverbanden rond {name}", near.swv_vo, own_vo, {}),
        (f"Voorstel: nieuwe samenwerkingsverbanden (po + vo) rond {name}", new, own_new, hubs),
    ):
        svg, legend = _svg(frame, _areas(pc_rd, labels, frame), gm_rd, jz_lines, gm_lines, own, h, title)
        out.append(f"<figure><figcaption>{_e(title)}</figcaption>{svg}<div class='legend'>{legend}</div></figure>")
    key = ("<p class='legend' style='grid-column: 1 / -1'>Dikke zwarte lijn: gemeente {0}. Paarse streepjeslijn: "
           "grens van de jeugdregio. Dunne grijze lijn: gemeentegrenzen. Wit rondje: hub (centrum) van een nieuw "
           "samenwerkingsverband. Vet: de samenwerkingsverbanden van {0}.</p>").format(_e(name))
    return "\n".join(out) + key


# ---------------------------------------------------------------------------------------------- text


def _shares(d: dict[str, float], names: dict[str, str] | None = None) -> str:
    items = []
    for code, share in d.items():
        label = f"{names[code]} ({code})" if names and code in names else code
        items.append(f"{_e(label)}" + (f" – {_num(100 * share)}%" if len(d) > 1 else ""))
    return "<br>".join(items) or "-"


def _table(head: list[str], rows: list[list[str]], num: set[int] = frozenset()) -> str:
    th = "".join(f'<th class="{"num" if i in num else ""}">{h}</th>' for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td class="{"num" if i in num else ""}">{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def gemeente_report(ds, proposal: Proposal, ev: Evaluation, gemeente: str, scenario=None) -> str:
    """The report page for ``gemeente`` (GM code) as one self-contained HTML string."""
    if gemeente not in set(ds.gemeenten.gemeente):
        raise InputError("--gemeente", f"unknown gemeente '{gemeente}'", "use a GM code of the dataset, e.g. GM0363")
    rows = {r["gemeente"]: r for r in ev.per_gemeente}
    g = rows.get(gemeente)
    if g is None or not g["swv_proposed"]:
        raise InputError("--proposal", f"the proposal assigns no unit of {gemeente}",
                         "choose a proposal that covers this gemeente (or its jeugdregio)")
    name = g["name"]
    swvs = {s["swv_id"]: s for s in ev.swvs}
    own_new = list(g["swv_proposed"])
    jz_names = ds.jeugdregio_names
    jz = g["jeugdregio"]
    cur = ds.swv_current.set_index("swv")
    scn = scenario
    max_km = scn.travel.max_km if scn is not None else ev.kpis["travel_km"]["limit"]
    detour = ev.kpis["travel_km"]["detour_factor"]

    # ---- summary
    po, vo = list(g["swv_po_today"]), list(g["swv_vo_today"])
    n_new = len(own_new)
    new_names = [f"{swvs[s]['name']} ({s})" for s in own_new]
    changed_po, changed_vo = g["pupils_po_changed"] or 0, g["pupils_vo_changed"] or 0
    further = {t: v for t, v in g["pupils_further"].items() if v and v > 0}
    summary = [
        f"<p>Vandaag valt <b>{_e(name)}</b> onder {_plural(len(po), 'po-samenwerkingsverband', 'po-samenwerkingsverbanden')} "
        f"({_e(', '.join(po))}) en {_plural(len(vo), 'vo-samenwerkingsverband', 'vo-samenwerkingsverbanden')} "
        f"({_e(', '.join(vo))}): <b>{g['oogo_today']}</b> partners voor het op overeenstemming gericht overleg (OOGO).</p>",
        f"<p>In het voorstel <b>{_e(proposal.name)}</b> valt {_e(name)} "
        + (f"helemaal in één nieuw samenwerkingsverband voor po én vo: <b>{_e(new_names[0])}</b>. "
           if n_new == 1 else f"in {n_new} nieuwe samenwerkingsverbanden voor po én vo: <b>{_e('; '.join(new_names))}</b>. ")
        + f"Dat is <b>{g['oogo_proposed']}</b> OOGO-{'partner' if g['oogo_proposed'] == 1 else 'partners'}.</p>",
        f"<p>{_num(changed_po)} po-leerlingen en {_num(changed_vo)} vo-leerlingen (schatting) wonen in een postcodegebied "
        "dat bij een ander samenwerkingsverband komt dan de opvolger van hun huidige.</p>",
        "<p>" + ("Voor geen enkele voorziening (sbo, so, vso, pro) wordt de afstand tot de dichtstbijzijnde locatie "
                 "in het eigen samenwerkingsverband langer dan vandaag." if not further else
                 "Langer dan vandaag wordt de afstand tot de dichtstbijzijnde locatie voor: "
                 + "; ".join(f"{t}: {_num(v)} leerlingen" for t, v in further.items()) + ".") + "</p>",
    ]
    bad = [v for v in ev.violations if v.swv in own_new]
    summary.append("<p class='good'>Het nieuwe samenwerkingsverband voldoet aan alle harde eisen van het scenario.</p>"
                   if not bad else f"<p class='bad'>Let op: {_plural(len(bad), 'harde eis wordt', 'harde eisen worden')} "
                   "niet gehaald (zie onderaan).</p>")

    # ---- changes
    changes = _table(["", "vandaag", "voorstel"], [
        ["po", _shares(g["swv_po_today"]), _shares(g["swv_proposed"], {s: swvs[s]["name"] for s in own_new})],
        ["vo", _shares(g["swv_vo_today"]), "zelfde samenwerkingsverband als po"],
        ["OOGO-partners", str(g["oogo_today"]), str(g["oogo_proposed"])],
    ])
    per = ev.per_pc4
    gpc = per[per.gemeente == gemeente] if per is not None else None
    if n_new > 1 and gpc is not None:
        changes += _table(["nieuw samenwerkingsverband", "postcodegebieden van " + _e(name)], [
            [_e(f"{swvs[s]['name']} ({s})"), _e(", ".join(sorted(gpc.pc4[gpc.swv == s])))] for s in own_new])

    # ---- why
    why = ["<ul>",
           f"<li><b>Eén samenwerkingsverband voor po en vo.</b> De gemeente overlegt (OOGO) straks met "
           f"{g['oogo_proposed']} in plaats van {g['oogo_today']} samenwerkingsverbanden.</li>"]
    crossing = [c for c in po + vo if c in cur.index and "," in cur.loc[c, "jeugdregios"]]
    jz_text = (f"<li><b>Binnen één jeugdregio.</b> {_e(name)} hoort bij jeugdregio {_e(jz_names.get(jz, jz))} ({_e(jz)}). ")
    outside = [s for s in own_new if any(v.constraint == "jeugdregio" and v.swv == s for v in ev.violations)]
    jz_text += ("Het nieuwe samenwerkingsverband ligt helemaal in deze jeugdregio, zodat onderwijs en jeugdhulp "
                "dezelfde grenzen hebben. " if not outside else
                f"<span class='bad'>Het nieuwe samenwerkingsverband ligt in meer dan één jeugdregio.</span> ")
    if crossing:
        jz_text += ("Vandaag liggen " + ", ".join(f"{_e(c)} ({_e(cur.loc[c, 'jeugdregios'].replace(',', ', '))})"
                                                  for c in crossing) + " over de jeugdregiogrens heen.")
    why.append(jz_text + "</li>")
    for s in own_new:
        r = swvs[s]
        why.append(
            f"<li><b>Reisafstand ({_e(s)}).</b> Het centrum (hub) van het samenwerkingsverband is {_e(r['hub_name'])}. "
            f"De verste postcode ligt op {_num(r['travel_max_km'], 1)} km; de grens in dit scenario is {max_km:g} km "
            f"(hemelsbreed × {detour:g} omrijfactor).</li>")
        why.append(
            f"<li><b>Dekkend netwerk ({_e(s)}).</b> " + ", ".join(f"{r['n_' + t]} {t}-locaties" for t in FACILITY_TYPES)
            + " binnen het samenwerkingsverband (so/vso-locaties tellen voor so én vso).</li>")
    if n_new > 1:
        why.append(f"<li><b>Gemeente verdeeld.</b> Het voorstel deelt {_e(name)} op postcodeniveau over {n_new} "
                   "samenwerkingsverbanden, bijvoorbeeld omdat één samenwerkingsverband te groot of te ver zou worden; "
                   "de tabel hierboven geeft de postcodes per samenwerkingsverband.</li>")
    why.append("</ul>")

    # ---- KPIs of the gemeente
    krows = [["leerlingen po / vo (schatting)", f"{_num(g['pupils_po'])} / {_num(g['pupils_vo'])}", ""],
             ["reisafstand naar de hub, gemiddeld / max (km)",
              "", f"{_num(g['travel_mean_km'], 1)} / {_num(g['travel_max_km'], 1)}"]]
    if gpc is not None and len(gpc):
        pcw = ds.pc4.set_index("pc4").loc[gpc.pc4]
        for t in FACILITY_TYPES:
            w = (pcw.pupils_po if FACILITY_SECTOR[t] == "po" else pcw.pupils_vo).to_numpy(float)
            today, prop = gpc[f"{t}_km_today"].to_numpy(float), gpc[f"{t}_km"].to_numpy(float)

            def mean(x):
                ok = np.isfinite(x)
                return float(np.average(x[ok], weights=w[ok])) if ok.any() and w[ok].sum() > 0 else None
            krows.append([f"afstand tot dichtstbijzijnde {_e(FAC_LABEL[t])}, gemiddeld (km)",
                          _num(mean(today), 1), _num(mean(prop), 1)])
            krows.append([f"leerlingen verder van {t} dan vandaag", "", _num(g["pupils_further"][t])])
    krows.append(["leerlingen van wie het po-gebied verandert", "", _num(changed_po)])
    krows.append(["leerlingen van wie het vo-gebied verandert", "", _num(changed_vo)])
    kpis = _table(["", "vandaag", "voorstel"], krows, num={1, 2})

    # ---- new SWV(s)
    gnames = ds.gemeente_names
    srows = []
    for s in own_new:
        r = swvs[s]
        srows.append([f"<b>{_e(r['name'])}</b><br>{_e(s)}", _e(f"{jz_names.get(r['jeugdregio'], r['jeugdregio'])} ({r['jeugdregio']})"),
                      _e(", ".join(gnames.get(x, x) for x in r["gemeenten"])),
                      f"{_num(r['pupils_po'])} / {_num(r['pupils_vo'])}",
                      " · ".join(f"{t} {r['n_' + t]}" for t in FACILITY_TYPES),
                      f"{_num(r['travel_mean_km'], 1)} / {_num(r['travel_max_km'], 1)}"])
    swv_html = _table(["samenwerkingsverband", "jeugdregio", "gemeenten", "leerlingen po / vo", "locaties",
                       "reisafstand gem. / max (km)"], srows, num={3, 5})
    viol = ""
    if bad:
        viol = "<h2>Harde eisen die niet gehaald worden</h2><ul>" + "".join(
            f"<li class='bad'>{_e(v.constraint)}: {_e(v.message)}</li>" for v in bad) + "</ul>"

    attribution = " ".join(ds.meta.get("attribution", []))
    foot = (f"Voorstel: {_e(proposal.name)} · scenario: {_e(scn.name if scn is not None else 'default')} · "
            f"dataversie {_e(ds.version)}. Leerlingaantallen per postcodegebied zijn schattingen; afstanden zijn "
            f"hemelsbreed tussen postcodecentra × {detour:g}. Vandaag = de dichtstbijzijnde locatie binnen het huidige "
            f"po-samenwerkingsverband (sbo, so) of vo-samenwerkingsverband (vso, pro). {_e(attribution)}")
    return TEMPLATE.substitute(
        title=_e(f"Regio-indeling passend onderwijs: {name}"),
        subtitle=_e(f"{name} ({gemeente}) · jeugdregio {jz_names.get(jz, jz)} ({jz}) · voorstel {proposal.name}"),
        summary="\n".join(summary), maps=_maps(ds, proposal, ev, gemeente, set(own_new)),
        gemeente_name=_e(name), changes=changes, why="\n".join(why), kpis=kpis, swvs=swv_html, violations=viol,
        foot=foot,
    )
