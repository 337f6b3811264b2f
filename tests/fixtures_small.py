"""A tiny hand-made :class:`~regioindeling.data.Dataset` for tests whose expected values are computed by hand.

Default layout: one row of six 10 km x 10 km square PC4 areas along the RD x axis (south-west corner of
1001 at x=100000, y=450000), so PC4 ``100i`` has its centre at x = 95000 + 10000*i, y = 455000::

    | 1001 | 1002 | 1003 | 1004 | 1005 | 1006 |
    |  GM0001 (JZ01)     |  GM0002 (JZ02)     |
    |  PO0001                   |  PO0002     |    current po SWVs (PO0001 crosses the JZ border)
    |  VO0001                                 |    current vo SWV

Neighbours share a border (rook adjacency); ``ferry`` adds extra ferry links. Every PC4 has 1000 residents, so
a gemeente's centre is the plain mean of its PC4 centres. Default school sites (sector @ PC4): GM0001 has sbo
@1001, so/vso @1002, pro @1003, vo @1002; GM0002 has so @1004, sbo @1005, vso @1006, pro @1006; one bao per PC4.
Every argument can be overridden to build other small cases; the solver's brute-force tests reuse this builder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from regioindeling.data import Dataset
from regioindeling.data import schema
from regioindeling.geometry import dissolve

X0, Y0 = 100_000.0, 450_000.0

DEFAULT_GEMEENTEN = {"GM0001": ("Eerstedorp", "JZ01"), "GM0002": ("Tweestad", "JZ02")}
DEFAULT_JEUGDREGIOS = {"JZ01": "Jeugdregio Een", "JZ02": "Jeugdregio Twee"}
DEFAULT_SCHOOLS = (
    ("1001", "sbo"), ("1002", "so/vso"), ("1003", "pro"), ("1002", "vo"),
    ("1004", "so"), ("1005", "sbo"), ("1006", "vso"), ("1006", "pro"),
)


def small_dataset(
    n: int = 6,
    km: float = 10.0,
    gemeente: Sequence[str] | None = None,
    pupils_po: Sequence[float] | None = None,
    pupils_vo: Sequence[float] | None = None,
    swv_po: Sequence[str] | None = None,
    swv_vo: Sequence[str] | None = None,
    schools: Sequence[tuple[str, str]] | None = None,
    gemeenten: dict[str, tuple[str, str]] | None = None,
    jeugdregios: dict[str, str] | None = None,
    ferry: Sequence[tuple[str, str]] = (),
    rows: int = 1,
) -> Dataset:
    """Build a small dataset of ``n`` square PC4 areas (``km`` wide) laid out in ``rows`` rows.

    PC4 codes are ``1001``..; the i-th PC4 (0-based) sits in column ``i % (n // rows)``, row ``i // (n // rows)``.
    ``gemeente[i]`` gives the GM code of PC4 i (default: first half GM0001, second half GM0002);
    ``gemeenten`` maps GM code -> (name, JZ code). ``schools`` lists (pc4, sector) site pairs, 100 pupils each, placed at the PC4 centre.
    """
    gemeenten = dict(gemeenten or DEFAULT_GEMEENTEN)
    jeugdregios = dict(jeugdregios or DEFAULT_JEUGDREGIOS)
    codes = [str(1001 + i) for i in range(n)]
    gm = list(gemeente) if gemeente is not None else ["GM0001" if i < n / 2 else "GM0002" for i in range(n)]
    po = [float(v) for v in (pupils_po if pupils_po is not None else [100.0] * n)]
    vo = [float(v) for v in (pupils_vo if pupils_vo is not None else [50.0] * n)]
    spo = list(swv_po) if swv_po is not None else ["PO0001" if i < (2 * n) // 3 else "PO0002" for i in range(n)]
    svo = list(swv_vo) if swv_vo is not None else ["VO0001"] * n
    sch = list(schools if schools is not None else (DEFAULT_SCHOOLS if n == 6 else ()))
    if any(len(v) != n for v in (gm, po, vo, spo, svo)):
        raise ValueError("gemeente, pupils_po, pupils_vo, swv_po and swv_vo need one value per PC4")
    per_row = n // rows
    side = km * 1000.0
    col = [i % per_row for i in range(n)]
    row = [i // per_row for i in range(n)]
    boxes = [shapely.box(X0 + c * side, Y0 + r * side, X0 + (c + 1) * side, Y0 + (r + 1) * side) for c, r in zip(col, row)]
    jz_of = {g: gemeenten[g][1] for g in gemeenten}

    pc = gpd.GeoDataFrame({
        "pc4": codes, "gemeente": gm, "jeugdregio": [jz_of[g] for g in gm], "gemeente_share": 1.0,
        "swv_po": spo, "swv_vo": svo, "swv_source": "regeling", "population": 1000.0,
        "age_0_4": 0.0, "age_5_9": 0.0, "age_10_14": 0.0, "age_15_19": 0.0, "n_age_cells_missing": 0,
        "pupils_po": po, "pupils_vo": vo, "scale_po": 1.0, "scale_vo": 1.0,
        "x": [b.centroid.x for b in boxes], "y": [b.centroid.y for b in boxes], "area_km2": km * km,
    }, geometry=boxes, crs="EPSG:28992")
    for t in ("sbo", "so", "vso", "pro"):
        from regioindeling.model import facility_types_of

        pc[f"n_{t}"] = [sum(1 for p, s in sch if p == c and t in facility_types_of(s)) for c in codes]

    pos = {c: i for i, c in enumerate(codes)}
    sc = gpd.GeoDataFrame({
        "vestigingscode": [f"{i:02d}AA00" for i in range(len(sch))], "brin": [f"{i:02d}AA" for i in range(len(sch))],
        "name": [f"School {i} ({s})" for i, (_, s) in enumerate(sch)], "sector": [s for _, s in sch],
        "type_duo": [s.upper() for _, s in sch], "pupils": 100, "pupils_source": "test",
        "pc4": [p for p, _ in sch], "gemeente": [gm[pos[p]] for p, _ in sch],
        "jeugdregio": [jz_of[gm[pos[p]]] for p, _ in sch], "swv_po": [spo[pos[p]] for p, _ in sch],
        "swv_vo": [svo[pos[p]] for p, _ in sch],
        "x": [pc.x[pos[p]] for p, _ in sch], "y": [pc.y[pos[p]] for p, _ in sch],
    }, geometry=[shapely.Point(pc.x[pos[p]], pc.y[pos[p]]) for p, _ in sch], crs="EPSG:28992")

    adj = []
    for i in range(n):
        for j in range(i + 1, n):
            if boxes[i].intersection(boxes[j]).length > 0:
                adj.append((codes[i], codes[j], "border", int(side), ""))
    for a, b in ferry:
        a, b = sorted((a, b))
        adj.append((a, b, "ferry", 0, "test ferry"))
    adj_pc4 = pd.DataFrame(adj, columns=["a", "b", "kind", "shared_m", "note"]).sort_values(["a", "b"]).reset_index(drop=True)
    gm_of = dict(zip(codes, gm))
    gadj = {}
    for a, b, kind in zip(adj_pc4.a, adj_pc4.b, adj_pc4.kind):
        ga, gb = sorted((gm_of[a], gm_of[b]))
        if ga != gb:
            gadj.setdefault((ga, gb), kind)
    adj_gm = pd.DataFrame([(a, b, k, int(side), "") for (a, b), k in sorted(gadj.items())],
                          columns=["a", "b", "kind", "shared_m", "note"])

    gm_rows = []
    for g in sorted(set(gm)):
        sub = pc[pc.gemeente == g]
        shares = {}
        for key, w in (("swv_po", "pupils_po"), ("swv_vo", "pupils_vo")):
            s = sub.groupby(key)[w].sum()
            s = s / s.sum()
            shares[key] = json.dumps({k: round(float(v), 4) for k, v in sorted(s.items(), key=lambda kv: (-kv[1], kv[0]))})
        gm_rows.append({
            "gemeente": g, "name": gemeenten[g][0], "jeugdregio": jz_of[g], "jeugdregio_name": jeugdregios[jz_of[g]],
            "jeugdregio_share": 1.0, "pupils_po": float(sub.pupils_po.sum()), "pupils_vo": float(sub.pupils_vo.sum()),
            "population": int(sub.population.sum()), "n_pc4": len(sub), "x": float(sub.x.mean()),
            "y": float(sub.y.mean()), "swv_po": next(iter(json.loads(shares["swv_po"]))),
            "swv_vo": next(iter(json.loads(shares["swv_vo"]))), "swv_po_shares": shares["swv_po"],
            "swv_vo_shares": shares["swv_vo"], "geometry": dissolve(sub.geometry.values),
        })
    gem = gpd.GeoDataFrame(gm_rows, geometry="geometry", crs="EPSG:28992")
    jz = gpd.GeoDataFrame(
        [{"jeugdregio": j, "name": name, "geometry": dissolve(pc.geometry[pc.jeugdregio == j].values)}
         for j, name in sorted(jeugdregios.items()) if (pc.jeugdregio == j).any()],
        geometry="geometry", crs="EPSG:28992")

    cur = []
    for sector, key, w in (("po", "swv_po", "pupils_po"), ("vo", "swv_vo", "pupils_vo")):
        for code, sub in pc.groupby(key):
            by_jz = sub.groupby("jeugdregio")[w].sum()
            order = sorted(by_jz.index, key=lambda j: (-by_jz[j], j))
            tot = float(sub[w].sum())
            cur.append({
                "swv": code, "sector": sector, "pupils": tot, "pupils_po": float(sub.pupils_po.sum()),
                "pupils_vo": float(sub.pupils_vo.sum()), "n_pc4": len(sub),
                "gemeenten": ",".join(sorted(sub.gemeente.unique())), "jeugdregios": ",".join(order),
                "main_jeugdregio": order[0],
                "share_outside_main": round(1 - float(by_jz[order[0]]) / tot, 4) if tot > 0 else 0.0,
                "geometry": dissolve(sub.geometry.values),
            })
    cur = gpd.GeoDataFrame(cur, geometry="geometry", crs="EPSG:28992")

    def wgs(df, table):
        df = df.to_crs("EPSG:4326")
        return df[list(table.columns)].sort_values(list(table.key), kind="stable").reset_index(drop=True)

    return Dataset(
        path=Path("<small test dataset>"),
        gemeenten=wgs(gem, schema.GEMEENTEN), jeugdregios=wgs(jz, schema.JEUGDREGIOS), pc4=wgs(pc, schema.PC4),
        schools=wgs(sc, schema.SCHOOLS), swv_current=wgs(cur, schema.SWV_CURRENT),
        adjacency_pc4=adj_pc4, adjacency_gemeente=adj_gm,
        meta={"schema_version": schema.SCHEMA_VERSION, "data_version": "small-test"},
    )


def pc4_centre(code: str, km: float = 10.0, per_row: int = 6) -> tuple[float, float]:
    """RD centre of a fixture PC4 (for hand computations in tests)."""
    i = int(code) - 1001
    return X0 + (i % per_row + 0.5) * km * 1000.0, Y0 + (i // per_row + 0.5) * km * 1000.0


def save(ds: Dataset, out: Path) -> Path:
    """Write the small dataset as a dataset directory (so CLI tests can pass ``--data DIR``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for table in schema.TABLES:
        df = getattr(ds, table.name)
        if table.geometry:
            gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:4326").to_parquet(out / table.file, index=False)
        else:
            df.to_parquet(out / table.file, index=False)
    (out / schema.META_FILE).write_text(json.dumps(ds.meta), encoding="utf-8")
    return out


__all__ = ["small_dataset", "pc4_centre", "save", "X0", "Y0"]
