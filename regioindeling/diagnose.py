"""Today's indeling judged against the three principles: what ``regioindeling diagnose`` prints.

Everything is counted from the PC4 table: a current SWV *touches* a jeugdregio when at least one of its PC4 areas
lies there (a PC4 belongs wholly to the 2025 gemeente it overlaps most, and so to that gemeente's jeugdregio).
Pupil shares use estimated pupils of the SWV's own sector (po pupils for a po SWV, vo pupils for a vo SWV).
"""

from __future__ import annotations

import pandas as pd

# An SWV whose share outside its main jeugdregio is below this is counted as crossing only "marginally":
# a handful of border PC4s, the kind of overlap a redraw of the Regeling annex would fix without a merger.
MATERIAL_SHARE = 0.01


def diagnose(ds) -> dict:
    """Per current SWV, per jeugdregio and per gemeente figures, with national summary lines first."""
    pc = pd.DataFrame({c: ds.pc4[c].to_numpy() for c in
                       ("pc4", "gemeente", "jeugdregio", "swv_po", "swv_vo", "pupils_po", "pupils_vo")})
    jz_names = ds.jeugdregio_names
    gm_names = ds.gemeente_names

    swvs = []
    for sector, col, pcol in (("po", "swv_po", "pupils_po"), ("vo", "swv_vo", "pupils_vo")):
        for code, sub in pc.groupby(col, sort=True):
            by_jz = sub.groupby("jeugdregio")[pcol].sum()
            order = sorted(by_jz.index, key=lambda j: (-by_jz[j], j))
            total = float(by_jz.sum())
            outside = total - float(by_jz[order[0]])
            swvs.append({
                "swv": code, "sector": sector, "pupils": round(total), "n_pc4": len(sub),
                "gemeenten": sorted(sub.gemeente.unique()),
                "jeugdregios": order, "main_jeugdregio": order[0], "main_jeugdregio_name": jz_names.get(order[0], ""),
                "n_jeugdregios": len(order), "pupils_outside_main": round(outside),
                "share_outside_main": round(outside / total, 4) if total else 0.0,
            })

    jz_rows = []
    for jz in sorted(jz_names):
        sub = pc[pc.jeugdregio == jz]
        po, vo = sorted(sub.swv_po.unique()), sorted(sub.swv_vo.unique())
        jz_rows.append({"jeugdregio": jz, "name": jz_names[jz], "n_swv_po": len(po), "n_swv_vo": len(vo),
                        "n_swv": len(po) + len(vo), "swv_po": po, "swv_vo": vo,
                        "n_gemeenten": int(sub.gemeente.nunique())})

    gm_rows = []
    for gm, sub in pc.groupby("gemeente", sort=True):
        po, vo = sorted(sub.swv_po.unique()), sorted(sub.swv_vo.unique())
        gm_rows.append({"gemeente": gm, "name": gm_names.get(gm, gm), "jeugdregio": sub.jeugdregio.iloc[0],
                        "n_swv_po": len(po), "n_swv_vo": len(vo), "partners": len(po) + len(vo),
                        "swv_po": po, "swv_vo": vo})

    return {"summary": _summary(swvs, jz_rows, gm_rows, jz_names, gm_names), "swvs": swvs,
            "jeugdregios": jz_rows, "gemeenten": gm_rows}


def _summary(swvs: list[dict], jz_rows: list[dict], gm_rows: list[dict], jz_names: dict, gm_names: dict) -> list[str]:
    lines = []
    for sector in ("po", "vo"):
        rows = [r for r in swvs if r["sector"] == sector]
        crossing = [r for r in rows if r["n_jeugdregios"] > 1]
        material = [r for r in crossing if r["share_outside_main"] >= MATERIAL_SHARE]
        total = sum(r["pupils"] for r in rows)
        outside = sum(r["pupils_outside_main"] for r in rows)
        lines.append(
            f"{sector}: {len(crossing)} of {len(rows)} SWVs ({len(crossing) / len(rows):.0%}) cross a jeugdregio border, "
            f"{len(material)} with >= {MATERIAL_SHARE:.0%} of their pupils outside their main jeugdregio; "
            f"{outside:,} of {total:,} {sector} pupils ({outside / total:.1%}) are in an SWV whose main jeugdregio "
            "is not their own")
    worst = max(swvs, key=lambda r: (r["share_outside_main"], r["swv"]))
    lines.append(f"largest share outside its main jeugdregio: {worst['swv']} ({worst['share_outside_main']:.0%} "
                 f"outside {worst['main_jeugdregio']} {worst['main_jeugdregio_name']}, touches "
                 f"{', '.join(worst['jeugdregios'])})")
    multi = [r for r in jz_rows if r["n_swv"] > 2]
    busiest = max(jz_rows, key=lambda r: (r["n_swv"], r["jeugdregio"]))
    lines.append(f"{len(multi)} of {len(jz_rows)} jeugdregio's deal with more than one po and one vo SWV; "
                 f"most: {busiest['jeugdregio']} {busiest['name']} with {busiest['n_swv_po']} po and "
                 f"{busiest['n_swv_vo']} vo SWVs")
    multi_gm = [r for r in gm_rows if r["partners"] > 2]
    top = max(gm_rows, key=lambda r: (r["partners"], r["gemeente"]))
    mean = sum(r["partners"] for r in gm_rows) / len(gm_rows)
    lines.append(f"{len(multi_gm)} of {len(gm_rows)} gemeenten have more than two SWV partners (po + vo) for OOGO; "
                 f"mean {mean:.2f}; most: {top['gemeente']} {top['name']} with {top['partners']}")
    return lines
