"""``data build``: turn the raw official files into the compact dataset in ``data/geo``.

The steps, each reported in the reconciliation summary:

1. gemeenten and jeugdregio's (CBS 2025); gemeente -> jeugdregio by largest area overlap.
2. PC4 areas (CBS 2020) -> 2025 gemeente by largest area overlap; population by age (CBS 2021).
3. PC4 -> today's po and vo SWV (Regeling 2015); PC4s the Regeling does not list, and its Europoort rows, take
   the SWV most common among their neighbours in the same gemeente (flagged in ``swv_source``).
4. school sites (DUO 2024, geocoded), de-duplicated on vestigingscode, placed in a PC4 by postcode (spatially
   where the postcode has no area), pupils from DUO 2025 for po sites, else the 2023-24 file.
5. estimated pupils per PC4: residents aged 4-11 (po) and 12-17 (vo) interpolated from CBS five-year bands,
   scaled per jeugdregio to the pupils counted at the school sites there (see ``pupil_estimates``).
6. rook adjacency between PC4s (shared border >= 10 m), ferry links (Wadden islands, Westerschelde), fixed
   crossings over water (Zeeland's bridge, dam and tunnel), and a link for any other piece that would be cut off,
   so that every jeugdregio's graph is connected; gemeente adjacency lifted from it.
7. today's SWVs dissolved from their PC4s.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from regioindeling.data import schema
from regioindeling.data.pupil_estimates import estimate_pupils
from regioindeling.data.raw import RawSource, read_manifest, sha256_of
from regioindeling.errors import InputError
from regioindeling.geometry import dissolve, rfc7946

RD = "EPSG:28992"
WGS84 = "EPSG:4326"
ROOK_MIN_SHARED_M = 10.0
SNAP_M = 2.0  # boundaries closer than this count as touching (coordinates are rounded to whole metres)
SIMPLIFY_M = 60.0  # coverage simplification for display; shared edges stay shared
MAX_DROPPED_SHARE = 0.005

# Wadden ferries: island gemeente -> mainland port gemeente (Rijkswaterstaat/TESO/Doeksen/Wagenborg services).
FERRIES: tuple[tuple[str, str, str], ...] = (
    ("GM0448", "GM0400", "Texel - Den Helder (TESO)"),
    ("GM0096", "GM0072", "Vlieland - Harlingen (Doeksen)"),
    ("GM0093", "GM0072", "Terschelling - Harlingen (Doeksen)"),
    ("GM0060", "GM1970", "Ameland - Holwerd (Wagenborg)"),
    ("GM0088", "GM1966", "Schiermonnikoog - Lauwersoog (Wagenborg)"),
    ("GM0718", "GM1714", "Vlissingen - Breskens (Westerschelde Ferry)"),
)
# Fixed crossings (bridges, dams, tunnels) over water that PC4 areas do not share a border across, inside one
# jeugdregio (Rijkswaterstaat / Provincie Zeeland roads). Without them Schouwen-Duiveland reaches the rest of Zeeland
# only through Tholen, and Zeeuws-Vlaanderen only through a nearest-PC4 link from Hulst to Rilland, where no
# road crosses the Verdronken Land van Saeftinghe. Kind "link": they count with ferry links switched off.
FIXED_LINKS: tuple[tuple[str, str, str], ...] = (
    ("GM1676", "GM1695", "Zeelandbrug (N256) Schouwen-Duiveland - Noord-Beveland"),
    ("GM1676", "GM0717", "Oosterscheldekering (N57) Schouwen-Duiveland - Neeltje Jans (Veere)"),
    ("GM0654", "GM0715", "Westerscheldetunnel (N62) Borsele - Terneuzen"),
)


@dataclass
class BuildReport:
    """What the build did, for the reconciliation summary."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    pupils_total: float = 0.0
    pupils_dropped: float = 0.0
    dropped_detail: list[str] = field(default_factory=list)

    def add(self, key: str, text: str) -> None:
        self.lines.append((key, text))

    @property
    def dropped_share(self) -> float:
        return self.pupils_dropped / self.pupils_total if self.pupils_total else 0.0

    def to_dict(self) -> dict:
        return {
            "summary": [{"check": k, "result": t} for k, t in self.lines],
            "counts": self.counts,
            "pupils_counted_at_sites": round(self.pupils_total),
            "pupils_dropped": round(self.pupils_dropped),
            "dropped_share": round(self.dropped_share, 6),
            "dropped_detail": self.dropped_detail,
        }


# ---------------------------------------------------------------- reading


def _read_vector(path: Path, role: str, required: list[str]) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(path, f"cannot read {role} ({type(exc).__name__}: {exc})",
                         "replace it with a valid vector file (GeoJSON)") from None
    for col in required:
        if col not in gdf.columns:
            raise InputError(path, f"column missing in {role}", f"add the column '{col}'", field=col)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    return gdf


def _read_csv(path: Path, role: str, required: list[str], **kw) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, **kw)
    except Exception as exc:
        raise InputError(path, f"cannot read {role} CSV ({type(exc).__name__}: {exc})",
                         "replace it with a valid CSV file") from None
    df.columns = [c.strip().lstrip("\ufeff") for c in df.columns]
    for col in required:
        if col not in df.columns:
            raise InputError(path, f"column missing in {role}", f"add the column '{col}'", field=col)
    return df


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Repair invalid rings and keep only the polygonal parts (make_valid may add slivers of lower dimension)."""
    fixed = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    out = []
    for g in fixed:
        if g is None or g.is_empty:
            out.append(g)
        elif g.geom_type == "GeometryCollection":
            out.append(shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]))
        else:
            out.append(g)
    return np.array(out, dtype=object)


def _pc4_str(values: pd.Series) -> pd.Series:
    s = values.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    return s.str.zfill(4)


def _largest_overlap(small: np.ndarray, big: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each geometry in ``small``: index of the ``big`` geometry it overlaps most (-1 if none) and that share."""
    tree = shapely.STRtree(big)
    a, b = tree.query(small, predicate="intersects")
    area = shapely.area(shapely.intersection(small[a], big[b]))
    best = np.full(len(small), -1)
    share = np.zeros(len(small))
    own = shapely.area(small)
    df = pd.DataFrame({"a": a, "b": b, "area": area}).sort_values(["a", "area", "b"], ascending=[True, False, True])
    df = df.drop_duplicates("a")
    best[df.a.to_numpy()] = df.b.to_numpy()
    share[df.a.to_numpy()] = df.area.to_numpy() / np.maximum(own[df.a.to_numpy()], 1e-9)
    return best, share


# ---------------------------------------------------------------- steps


def _regions(src: dict[str, RawSource], raw: Path, rep: BuildReport):
    gm = _read_vector(raw / src["gemeenten"].path, "gemeenten", ["statcode", "statnaam"]).to_crs(RD)
    jz = _read_vector(raw / src["jeugdregios"].path, "jeugdregios", ["statcode", "statnaam"]).to_crs(RD)
    gm = gm.rename(columns={"statcode": "gemeente", "statnaam": "name"})[["gemeente", "name", "geometry"]]
    jz = jz.rename(columns={"statcode": "jeugdregio", "statnaam": "name"})[["jeugdregio", "name", "geometry"]]
    gm["geometry"] = _polygonal(gm.geometry.values)
    jz["geometry"] = _polygonal(jz.geometry.values)
    gm = gm.sort_values("gemeente", kind="stable").reset_index(drop=True)
    jz = jz.sort_values("jeugdregio", kind="stable").reset_index(drop=True)
    best, share = _largest_overlap(gm.geometry.values, jz.geometry.values)
    if (best < 0).any():
        missing = ", ".join(gm.gemeente[best < 0])
        raise InputError(raw / src["gemeenten"].path, f"gemeenten outside every jeugdregio: {missing}",
                         "use gemeente and jeugdregio boundaries of the same year")
    gm["jeugdregio"] = jz.jeugdregio.to_numpy()[best]
    gm["jeugdregio_share"] = share
    low = gm[share < 0.9]
    rep.add("gemeente -> jeugdregio",
            f"{len(gm)} gemeenten in {gm.jeugdregio.nunique()} of {len(jz)} jeugdregio's by largest area overlap; "
            f"lowest share {share.min():.3f} ({gm.name[share.argmin()]}); {len(low)} below 0.9")
    empty = sorted(set(jz.jeugdregio) - set(gm.jeugdregio))
    if empty:
        rep.add("jeugdregio's without gemeente", ", ".join(empty))
    return gm, jz


def _pc4_areas(src, raw: Path, gm: gpd.GeoDataFrame, rep: BuildReport) -> gpd.GeoDataFrame:
    path = raw / src["pc4_polygons"].path
    pc = _read_vector(path, "pc4_polygons", ["pc4"]).to_crs(RD)
    pc["pc4"] = _pc4_str(pc["pc4"])
    empty = pc.geometry.isna() | pc.geometry.is_empty
    if empty.any():
        rep.add("PC4 without geometry", ", ".join(pc.pc4[empty]))
    pc = pc[~empty].copy()
    n_invalid = int((~pc.geometry.is_valid).sum())
    pc["geometry"] = _polygonal(pc.geometry.values)
    pc = pc.dissolve("pc4", as_index=False) if pc.pc4.duplicated().any() else pc
    pc = pc.sort_values("pc4", kind="stable").reset_index(drop=True)[["pc4", "geometry"]]
    best, share = _largest_overlap(pc.geometry.values, gm.geometry.values)
    outside = best < 0
    if outside.any():
        # generalised gemeente boundaries leave coastal slivers uncovered: take the nearest gemeente
        tree = shapely.STRtree(gm.geometry.values)
        near = tree.nearest(pc.geometry.values[outside])
        best[outside] = near
    pc["gemeente"] = gm.gemeente.to_numpy()[best]
    pc["jeugdregio"] = gm.jeugdregio.to_numpy()[best]
    pc["gemeente_share"] = np.round(share, 4)
    rep.add("PC4 -> gemeente",
            f"{len(pc)} PC4 areas ({n_invalid} invalid rings repaired) by largest overlap with 2025 gemeenten; "
            f"{int((share < 0.9).sum())} straddle a border (share < 0.9), {int(outside.sum())} took the nearest gemeente")
    centre = shapely.centroid(pc.geometry.values)
    inside = shapely.contains_properly(pc.geometry.values, centre)
    centre = np.where(inside, centre, shapely.point_on_surface(pc.geometry.values))
    pc["x"] = np.round(shapely.get_x(centre), 1)
    pc["y"] = np.round(shapely.get_y(centre), 1)
    pc["area_km2"] = np.round(pc.geometry.area / 1e6, 4)
    return pc


def _population(src, raw: Path, pc: gpd.GeoDataFrame, rep: BuildReport) -> gpd.GeoDataFrame:
    path = raw / src["pc4_population"].path
    pop = _read_csv(path, "pc4_population", ["pc4", *schema.AGE_BANDS])
    pop["pc4"] = _pc4_str(pop["pc4"])
    if pop.pc4.duplicated().any():
        dup = pop.pc4[pop.pc4.duplicated()].iloc[0]
        raise InputError(path, f"duplicate pc4 {dup}", "keep one row per PC4", field="pc4")
    bands = [c for c in pop.columns if c.startswith("age_")]
    for c in bands:
        pop[c] = pd.to_numeric(pop[c].replace("", np.nan), errors="coerce")
    pop["population"] = pop[bands].sum(axis=1, min_count=1).fillna(0)
    pop["n_age_cells_missing"] = pop[bands].isna().sum(axis=1)
    pop[bands] = pop[bands].fillna(0)
    keep = ["pc4", "population", *schema.AGE_BANDS, "n_age_cells_missing"]
    no_area = pop[~pop.pc4.isin(pc.pc4)]
    rep.add("population rows without PC4 area",
            f"{len(no_area)} rows, {int(no_area.population.sum())} residents (not placed)")
    pc = pc.merge(pop[keep], on="pc4", how="left")
    no_pop = pc.population.isna()
    rep.add("PC4 areas without population row", f"{int(no_pop.sum())} (counted as 0 residents)")
    pc[keep[1:]] = pc[keep[1:]].fillna(0)
    rep.counts["residents"] = int(pc.population.sum())
    rep.counts["residents_not_placed"] = int(no_area.population.sum())
    return pc


def _neighbour_vote(pc: pd.DataFrame, edges: pd.DataFrame, col: str, todo: pd.Series) -> pd.Series:
    """Fill ``col`` where ``todo`` by the value most common (by residents) among already-known neighbours,
    preferring neighbours in the same gemeente; repeated until nothing changes (chains of unknown PC4s)."""
    values = pc[col].where(~todo)
    idx = {p: i for i, p in enumerate(pc.pc4)}
    nb: dict[int, list[int]] = {}
    for a, b in zip(edges.a.map(idx), edges.b.map(idx)):
        nb.setdefault(a, []).append(b)
        nb.setdefault(b, []).append(a)
    gem = pc.gemeente.to_numpy()
    popn = pc.population.to_numpy()
    pending = sorted(np.flatnonzero(todo.to_numpy()))
    while pending:
        progressed = []
        for i in pending:
            votes: dict[str, float] = {}
            for same in (True, False):
                for j in nb.get(i, []):
                    v = values.iat[j]
                    if isinstance(v, str) and v and (gem[j] == gem[i]) == same:
                        votes[v] = votes.get(v, 0.0) + popn[j] + 1.0
                if votes:
                    break
            if votes:
                values.iat[i] = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                progressed.append(i)
        if not progressed:
            break
        pending = [i for i in pending if i not in set(progressed)]
    return values


def _current_swv(src, raw: Path, pc: gpd.GeoDataFrame, edges: pd.DataFrame, rep: BuildReport) -> gpd.GeoDataFrame:
    path = raw / src["swv_pc4"].path
    swv = _read_csv(path, "swv_pc4", ["pc4", "swv_po", "swv_vo"])
    swv["pc4"] = _pc4_str(swv["pc4"])
    if swv.pc4.duplicated().any():
        dup = swv.pc4[swv.pc4.duplicated()].iloc[0]
        raise InputError(path, f"PC4 {dup} listed twice", "keep one row per PC4", field="pc4")
    for col, prefix in (("swv_po", "PO"), ("swv_vo", "VO")):
        bad = swv[~swv[col].str.match(rf"^{prefix}\d{{4}}$") & (swv[col] != "Europoort")]
        if len(bad):
            raise InputError(path, f"PC4 {bad.pc4.iloc[0]} has SWV code '{bad[col].iloc[0]}'",
                             f"use codes like {prefix}2707 (or 'Europoort')", field=col)
    no_area = swv[~swv.pc4.isin(pc.pc4)]
    rep.add("SWV rows without PC4 area", f"{len(no_area)}: {', '.join(no_area.pc4)} (no residents there)")
    pc = pc.merge(swv[["pc4", "swv_po", "swv_vo"]], on="pc4", how="left")
    europoort = pc.swv_po.eq("Europoort") | pc.swv_vo.eq("Europoort")
    unlisted = pc.swv_po.isna()
    pc["swv_source"] = np.where(unlisted, "neighbours (not in Regeling)",
                                np.where(europoort, "neighbours (Europoort row)", "regeling"))
    todo = pd.Series(unlisted | europoort, index=pc.index)
    for col in ("swv_po", "swv_vo"):
        pc[col] = _neighbour_vote(pc, edges, col, todo)
    if pc.swv_po.isna().any() or pc.swv_vo.isna().any():
        left = ", ".join(pc.pc4[pc.swv_po.isna() | pc.swv_vo.isna()])
        raise InputError(path, f"no SWV could be inferred for PC4 {left}", "add these PC4s to the SWV table")
    rep.add("PC4 areas not in the Regeling",
            f"{int(unlisted.sum())} ({int(pc.population[unlisted].sum())} residents): SWV taken from neighbours "
            f"in the same gemeente: {', '.join(pc.pc4[unlisted])}")
    rep.add("Europoort rows", f"{int(europoort.sum())} PC4 ({', '.join(pc.pc4[europoort])}; "
            f"{int(pc.population[europoort].sum())} residents): SWV taken from the neighbouring Rotterdam PC4s")
    return pc


def _site_pupils_label(source: RawSource) -> str:
    """How the school-sites file's own pupil counts are labelled: the reference copy holds DUO's 2023-24 counts;
    a fetched file holds the counts DUO published by its fetch date."""
    return "DUO 2023-24" if not source.fetched_at else f"DUO as of {source.fetched_at[:10]}"


def _population_date(source: RawSource) -> str:
    ref = source.reference_date
    return "1 Jan 2021" if ref == "2021-01-01" else ref


def _schools(src, raw: Path, pc: gpd.GeoDataFrame, rep: BuildReport) -> gpd.GeoDataFrame:
    path = raw / src["schools"].path
    sc = _read_vector(path, "schools", ["vestigingscode", "brin_nummer", "naam", "type", "postcode", "leerlingen"])
    sc = sc.to_crs(RD)
    n_rows = len(sc)
    sc = sc.sort_values(["vestigingscode", "postcode"], kind="stable").drop_duplicates("vestigingscode")
    rep.add("school sites", f"{n_rows} rows, {len(sc)} unique vestigingscodes ({n_rows - len(sc)} duplicate rows dropped "
            "after de-duplication; their pupils were repeated, not extra)")
    hist = _read_csv(raw / src["po_pupils"].path, "po_pupils", ["VESTIGINGSCODE", "SOORT_VESTIGING"], sep=";",
                     encoding="utf-8-sig")
    years = sorted(c for c in hist.columns if c.startswith("LEERLINGEN_") and c[11:].isdigit())
    if not years:
        raise InputError(raw / src["po_pupils"].path, "no LEERLINGEN_<year> column",
                         "use DUO's 'historisch overzicht aantal leerlingen per schoolvestiging'", field="LEERLINGEN_<year>")
    latest = years[-1]
    hist = hist.drop_duplicates("VESTIGINGSCODE").set_index("VESTIGINGSCODE")
    sc["sector"] = [schema.sector_of(t, hist.SOORT_VESTIGING.get(v)) for t, v in zip(sc["type"], sc.vestigingscode)]
    # DUO 2025 counts for po-sector sites (bo, sbo, so, vso); '<5' counted as 2 like the 2023-24 file does
    duo = hist[latest].replace({"<5": "2"}).reindex(sc.vestigingscode)
    duo = pd.to_numeric(duo, errors="coerce").to_numpy()
    edu = pd.to_numeric(sc.leerlingen, errors="coerce").to_numpy()
    po_sector = sc.sector.isin(["bao", "sbo", "so", "vso", "so/vso"]).to_numpy()
    use_duo = po_sector & (np.nan_to_num(duo) > 0)
    sc["pupils"] = np.where(use_duo, duo, edu)
    site_label = _site_pupils_label(src["schools"])
    sc["pupils_source"] = np.where(use_duo, f"DUO {latest[11:]}", np.where(np.isnan(edu), "unknown", site_label))
    sc["pupils"] = np.nan_to_num(sc.pupils.to_numpy()).astype(int)
    rep.add("school pupils", f"{int(use_duo.sum())} sites with DUO {latest[11:]} counts, "
            f"{int((~use_duo & ~np.isnan(edu)).sum())} with {site_label} counts, "
            f"{int((sc.pupils_source == 'unknown').sum())} without any count (0 pupils)")
    # PC4 by postcode; spatially where the postcode is not a known area
    sc["pc4"] = sc.postcode.astype(str).str[:4]
    known = sc.pc4.isin(pc.pc4)
    tree = shapely.STRtree(pc.geometry.values)
    pts = sc.geometry.values
    a, b = tree.query(pts[~known.to_numpy()], predicate="within")
    spatial = np.full((~known).sum(), -1)
    spatial[a] = b
    miss = spatial < 0
    if miss.any():
        sub = pts[~known.to_numpy()][miss]
        idx, dist = tree.query_nearest(sub, max_distance=1000.0, return_distance=True, all_matches=False)
        fill = np.full(miss.sum(), -1)
        fill[idx[0]] = idx[1]
        spatial[np.flatnonzero(miss)] = fill
    pcs = sc.pc4.to_numpy().copy()
    unknown_idx = np.flatnonzero(~known.to_numpy())
    pcs[unknown_idx] = np.where(spatial >= 0, pc.pc4.to_numpy()[np.maximum(spatial, 0)], "")
    sc["pc4"] = pcs
    placed = sc.pc4 != ""
    dropped = sc[~placed]
    rep.pupils_total = float(sc.pupils.sum())
    rep.pupils_dropped += float(dropped.pupils.sum())
    rep.dropped_detail += [f"school {v} {n} ({s}, {p} pupils): outside every PC4 area"
                           for v, n, s, p in zip(dropped.vestigingscode, dropped.naam, dropped.sector, dropped.pupils)]
    rep.add("schools placed in a PC4",
            f"{int(known.sum())} by postcode, {int((~known & placed).sum())} by location (postcode not a 2020 PC4 area), "
            f"{len(dropped)} outside every PC4 ({int(dropped.pupils.sum())} pupils dropped)")
    sc = sc[placed].drop(columns=[c for c in ("gemeente", "jeugdregio", "swv_po", "swv_vo") if c in sc.columns])
    sc = sc.merge(pc[["pc4", "gemeente", "jeugdregio", "swv_po", "swv_vo"]], on="pc4", how="left")
    sc["x"] = np.round(sc.geometry.x, 1)
    sc["y"] = np.round(sc.geometry.y, 1)
    sc = sc.rename(columns={"brin_nummer": "brin", "naam": "name", "type": "type_duo"})
    cols = ["vestigingscode", "brin", "name", "sector", "type_duo", "pupils", "pupils_source", "pc4", "gemeente",
            "jeugdregio", "swv_po", "swv_vo", "x", "y", "geometry"]
    return gpd.GeoDataFrame(sc[cols], geometry="geometry", crs=RD).sort_values("vestigingscode").reset_index(drop=True)


# ---------------------------------------------------------------- adjacency


def _rook_edges(pc: gpd.GeoDataFrame) -> pd.DataFrame:
    g = pc.geometry.values
    tree = shapely.STRtree(g)
    a, b = tree.query(g, predicate="dwithin", distance=SNAP_M)
    keep = a < b
    a, b = a[keep], b[keep]
    half = SNAP_M / 2 + 0.5
    overlap = shapely.area(shapely.intersection(shapely.buffer(g[a], half), shapely.buffer(g[b], half)))
    shared = overlap / (2 * half)  # a strip 2*half wide along the common border
    ok = shared >= ROOK_MIN_SHARED_M
    codes = pc.pc4.to_numpy()
    return pd.DataFrame({"a": codes[a[ok]], "b": codes[b[ok]], "kind": "border",
                         "shared_m": np.round(shared[ok]).astype(int), "note": ""})


def _components(nodes: list[str], edges: pd.DataFrame) -> list[list[str]]:
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(edges.a, edges.b):
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    return sorted((sorted(v) for v in groups.values()), key=lambda c: (-len(c), c[0]))


def _nearest_pair(pc: gpd.GeoDataFrame, left: list[str], right: list[str]) -> tuple[str, str, float]:
    sub = pc.set_index("pc4").geometry
    lg, rg = sub.loc[left].values, sub.loc[right].values
    tree = shapely.STRtree(rg)
    (li, ri), dist = tree.query_nearest(lg, return_distance=True, all_matches=False)
    k = int(np.lexsort((np.array(left)[li], dist))[0])
    return left[li[k]], right[ri[k]], float(dist[k])


def _connect(pc: gpd.GeoDataFrame, rook: pd.DataFrame, gm: gpd.GeoDataFrame, rep: BuildReport) -> pd.DataFrame:
    """Add ferry links and links for cut-off pieces so every jeugdregio's PC4 graph is connected."""
    extra = []
    names = dict(zip(gm.gemeente, gm.name))
    by_gem = pc.groupby("gemeente").pc4.apply(list).to_dict()
    jz_of = dict(zip(pc.pc4, pc.jeugdregio))
    crossings = [(a, b, "ferry", label) for a, b, label in FERRIES]
    crossings += [(a, b, "link", label) for a, b, label in FIXED_LINKS]
    for ga, gb, kind, label in crossings:
        if ga not in by_gem or gb not in by_gem:
            continue
        a, b, d = _nearest_pair(pc, by_gem[ga], by_gem[gb])
        extra.append({"a": min(a, b), "b": max(a, b), "kind": kind, "shared_m": 0,
                      "note": f"{label}; {d / 1000:.1f} km"})
    edges = pd.concat([rook, pd.DataFrame(extra)], ignore_index=True) if extra else rook
    links = []
    for jz, members in sorted(pc.groupby("jeugdregio").pc4.apply(list).items()):
        inner = edges[edges.a.map(jz_of).eq(jz) & edges.b.map(jz_of).eq(jz)]
        inner = pd.concat([inner, pd.DataFrame(links)], ignore_index=True) if links else inner
        comps = _components(members, inner)
        while len(comps) > 1:
            main, piece = comps[0], comps[1]
            a, b, d = _nearest_pair(pc, piece, main)
            gem = names.get(pc.set_index("pc4").gemeente[a], "")
            links.append({"a": min(a, b), "b": max(a, b), "kind": "link", "shared_m": 0,
                          "note": f"{jz}: piece of {len(piece)} PC4 ({gem}) joined to nearest PC4, {d / 1000:.1f} km"})
            inner = pd.concat([inner, pd.DataFrame(links[-1:])], ignore_index=True)
            comps = _components(members, inner)
    n_ferry = sum(e["kind"] == "ferry" for e in extra)
    rep.add("PC4 adjacency", f"rook (shared border >= {ROOK_MIN_SHARED_M:.0f} m, {SNAP_M:.0f} m snapping): "
            f"{len(rook)} edges; {n_ferry} ferry links; {len(extra) - n_ferry} fixed crossings (bridge, dam, "
            f"tunnel); {len(links)} links for pieces otherwise cut off")
    for row in extra + links:
        rep.add(row["kind"], f"{row['a']}-{row['b']}: {row['note']}")
    out = pd.concat([edges, pd.DataFrame(links)], ignore_index=True) if links else edges
    return out.sort_values(["a", "b", "kind"]).drop_duplicates(["a", "b"]).reset_index(drop=True)


def _gemeente_edges(pc: pd.DataFrame, edges: pd.DataFrame, rep: BuildReport) -> pd.DataFrame:
    gem = dict(zip(pc.pc4, pc.gemeente))
    e = edges.assign(ga=edges.a.map(gem), gb=edges.b.map(gem))
    e = e[e.ga != e.gb]
    lo, hi = np.minimum(e.ga, e.gb), np.maximum(e.ga, e.gb)
    e = e.assign(a=lo, b=hi)
    rank = e.kind.map({"border": 0, "ferry": 1, "link": 2})
    e = e.assign(rank=rank).sort_values(["a", "b", "rank"])
    out = e.groupby(["a", "b"], as_index=False).agg(kind=("kind", "first"), shared_m=("shared_m", "sum"),
                                                     note=("note", "first"))
    # a gemeente whose PC4s do not form one piece is still one unit at gemeente level; say so
    split = []
    for g, members in pc.groupby("gemeente").pc4.apply(list).items():
        if len(members) > 1 and len(_components(members, edges[edges.a.map(gem).eq(g) & edges.b.map(gem).eq(g)])) > 1:
            split.append(g)
    rep.add("gemeente adjacency", f"{len(out)} gemeente pairs (lifted from PC4 adjacency); "
            f"{len(split)} gemeenten whose PC4 areas form more than one piece: {', '.join(split) or 'none'}")
    return out[["a", "b", "kind", "shared_m", "note"]].sort_values(["a", "b"]).reset_index(drop=True)


# ---------------------------------------------------------------- aggregation


def _shares(df: pd.DataFrame, key: str, col: str, weight: str) -> pd.Series:
    """Per ``key``: JSON {swv: share of ``weight``}, largest first."""
    out = {}
    for k, sub in df.groupby(key):
        w = sub.groupby(col)[weight].sum()
        tot = w.sum()
        w = (w / tot) if tot > 0 else sub.groupby(col).size() / len(sub)
        out[k] = json.dumps({s: round(float(v), 4) for s, v in sorted(w.items(), key=lambda kv: (-kv[1], kv[0]))})
    return pd.Series(out)


def _gemeenten_table(gm, jz, pc, rep) -> gpd.GeoDataFrame:
    agg = pc.groupby("gemeente").agg(pupils_po=("pupils_po", "sum"), pupils_vo=("pupils_vo", "sum"),
                                     population=("population", "sum"), n_pc4=("pc4", "size"))
    w = pc.population.where(pc.population > 0, 1.0)
    cx = (pc.x * w).groupby(pc.gemeente).sum() / w.groupby(pc.gemeente).sum()
    cy = (pc.y * w).groupby(pc.gemeente).sum() / w.groupby(pc.gemeente).sum()
    main_po = pc.groupby(["gemeente", "swv_po"]).pupils_po.sum().reset_index().sort_values(
        ["gemeente", "pupils_po", "swv_po"], ascending=[True, False, True]).drop_duplicates("gemeente")
    main_vo = pc.groupby(["gemeente", "swv_vo"]).pupils_vo.sum().reset_index().sort_values(
        ["gemeente", "pupils_vo", "swv_vo"], ascending=[True, False, True]).drop_duplicates("gemeente")
    out = gm.merge(jz[["jeugdregio", "name"]].rename(columns={"name": "jeugdregio_name"}), on="jeugdregio")
    out = out.merge(agg, left_on="gemeente", right_index=True, how="left")
    no_pc4 = out.n_pc4.isna()
    if no_pc4.any():
        rep.add("gemeenten without PC4 area", ", ".join(out.gemeente[no_pc4]))
    out[["pupils_po", "pupils_vo", "population", "n_pc4"]] = out[["pupils_po", "pupils_vo", "population", "n_pc4"]].fillna(0)
    out["x"] = out.gemeente.map(cx).round(1)
    out["y"] = out.gemeente.map(cy).round(1)
    rp = shapely.point_on_surface(out.geometry.values)
    out["x"] = out.x.fillna(pd.Series(shapely.get_x(rp), index=out.index).round(1))
    out["y"] = out.y.fillna(pd.Series(shapely.get_y(rp), index=out.index).round(1))
    out["swv_po"] = out.gemeente.map(main_po.set_index("gemeente").swv_po).fillna("")
    out["swv_vo"] = out.gemeente.map(main_vo.set_index("gemeente").swv_vo).fillna("")
    out["swv_po_shares"] = out.gemeente.map(_shares(pc, "gemeente", "swv_po", "pupils_po")).fillna("{}")
    out["swv_vo_shares"] = out.gemeente.map(_shares(pc, "gemeente", "swv_vo", "pupils_vo")).fillna("{}")
    out["n_pc4"] = out.n_pc4.astype(int)
    out["pupils_po"] = out.pupils_po.round(1)
    out["pupils_vo"] = out.pupils_vo.round(1)
    out["population"] = out.population.astype(int)
    return out[list(schema.GEMEENTEN.columns)]


def _current_swvs(pc: gpd.GeoDataFrame, rep: BuildReport) -> gpd.GeoDataFrame:
    rows = []
    for sector, col, pcol in (("po", "swv_po", "pupils_po"), ("vo", "swv_vo", "pupils_vo")):
        for code, sub in pc.groupby(col):
            by_jz = sub.groupby("jeugdregio")[pcol].sum().sort_values(ascending=False, kind="stable")
            by_jz = by_jz.reindex(sorted(by_jz.index, key=lambda j: (-by_jz[j], j)))
            tot = float(sub[pcol].sum())
            main = by_jz.index[0]
            rows.append({
                "swv": code, "sector": sector, "pupils": round(tot, 1),
                "pupils_po": round(float(sub.pupils_po.sum()), 1), "pupils_vo": round(float(sub.pupils_vo.sum()), 1),
                "n_pc4": len(sub), "gemeenten": ",".join(sorted(sub.gemeente.unique())),
                "jeugdregios": ",".join(by_jz.index), "main_jeugdregio": main,
                "share_outside_main": round(1 - float(by_jz.iloc[0]) / tot, 4) if tot > 0 else 0.0,
                "geometry": dissolve(sub.geometry.values, grid_size=0.01),
            })
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=pc.crs)
    n_po, n_vo = int((out.sector == "po").sum()), int((out.sector == "vo").sum())
    rep.add("current SWVs", f"{n_po} po and {n_vo} vo SWV codes dissolved from their PC4 areas")
    return out.sort_values(["sector", "swv"]).reset_index(drop=True)


def _facility_counts(pc: pd.DataFrame, sc: pd.DataFrame) -> pd.DataFrame:
    from regioindeling.model import FACILITY_TYPES, facility_types_of

    cnt = {t: sc.pc4[sc.sector.map(lambda s, t=t: t in facility_types_of(s))].value_counts() for t in FACILITY_TYPES}
    for t in FACILITY_TYPES:
        pc[f"n_{t}"] = pc.pc4.map(cnt[t]).fillna(0).astype(int)
    return pc


# ---------------------------------------------------------------- writing


def _to_wgs84(gdf: gpd.GeoDataFrame, simplify: float | None = None) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    if simplify:
        gdf["geometry"] = shapely.coverage_simplify(gdf.geometry.values, simplify)
        gdf["geometry"] = _polygonal(gdf.geometry.values)
    gdf = gdf.to_crs(WGS84)
    geoms = shapely.transform(gdf.geometry.values, lambda c: np.round(c, 6))
    if gdf.geom_type.isin(["Polygon", "MultiPolygon"]).any():
        geoms = _polygonal(geoms)  # rounding can make a ring touch itself
    gdf["geometry"] = rfc7946(geoms)
    return gdf


def build_dataset(raw_dir: str | Path, out_dir: str | Path, progress=None) -> BuildReport:
    """Build the dataset from ``raw_dir`` into ``out_dir`` (written to a staging directory, then swapped in).

    Raises :class:`InputError` for bad raw files and when more than 0.5 % of pupils would be dropped.
    """
    from regioindeling.atomic import replace_dir

    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    step = progress or (lambda msg: None)
    rep = BuildReport()
    src = read_manifest(raw_dir)
    step("gemeenten and jeugdregio's")
    gm, jz = _regions(src, raw_dir, rep)
    step("PC4 areas")
    pc = _pc4_areas(src, raw_dir, gm, rep)
    pc = _population(src, raw_dir, pc, rep)
    step("adjacency")
    rook = _rook_edges(pc)
    edges = _connect(pc, rook, gm, rep)
    step("current SWVs")
    pc = _current_swv(src, raw_dir, pc, edges, rep)
    step("school sites")
    sc = _schools(src, raw_dir, pc, rep)
    step("pupil estimates")
    pc, method = estimate_pupils(pc, sc, rep)
    method = method.format(population_date=_population_date(src["pc4_population"]))
    pc = _facility_counts(pc, sc)
    gedges = _gemeente_edges(pc, edges, rep)
    gem = _gemeenten_table(gm, jz, pc, rep)
    pc["geometry"] = _polygonal(shapely.coverage_simplify(pc.geometry.values, SIMPLIFY_M))
    cur = _current_swvs(pc, rep)
    if rep.dropped_share > MAX_DROPPED_SHARE:
        raise InputError(raw_dir, f"{rep.pupils_dropped:.0f} of {rep.pupils_total:.0f} pupils "
                         f"({rep.dropped_share:.2%}) would be dropped, above the 0.5 % limit",
                         "use raw files of matching years (see the reconciliation summary)")
    rep.add("pupils dropped", f"{rep.pupils_dropped:.0f} of {rep.pupils_total:.0f} counted at sites "
            f"({rep.dropped_share:.3%}; limit 0.5 %)")
    step("writing")
    tables = {
        "gemeenten": _to_wgs84(gem),
        "jeugdregios": _to_wgs84(jz),
        "pc4": _to_wgs84(pc[list(schema.PC4.columns)], simplify=None),
        "schools": _to_wgs84(sc),
        "swv_current": _to_wgs84(cur, simplify=None),
        # gemeenten/jeugdregio's keep the CBS generalised boundaries
        "adjacency_pc4": edges,
        "adjacency_gemeente": gedges,
    }
    rep.counts.update({"gemeenten": len(gem), "jeugdregios": len(jz), "pc4": len(pc), "schools": len(sc),
                       "swv_po": int((cur.sector == "po").sum()), "swv_vo": int((cur.sector == "vo").sum()),
                       "edges_pc4": len(edges), "edges_gemeente": len(gedges)})
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.build.", dir=out_dir.parent))
    staging.chmod(0o755)
    try:
        schema.write_tables(staging, tables)
        meta = schema.metadata(staging, src, raw_dir, rep, method)
        (staging / schema.META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (staging / "README.md").write_text(schema.readme(meta), encoding="utf-8")
        if out_dir.exists() and not (out_dir / schema.META_FILE).is_file() and any(out_dir.iterdir()):
            raise InputError(out_dir, "output folder exists and is not a regioindeling dataset",
                             "choose an empty or new folder for --out")
        replace_dir(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return rep


def source_checksums(raw_dir: Path, src: dict[str, RawSource]) -> dict[str, str]:
    return {role: s.sha256 or sha256_of(raw_dir / s.path) for role, s in sorted(src.items())}
