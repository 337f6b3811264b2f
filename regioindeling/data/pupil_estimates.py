"""Estimated po and vo pupils per PC4.

CBS publishes residents per PC4 only in five-year bands, and DUO counts pupils where they go to school, not
where they live. So:

1. interpolate uniformly inside the bands: po (ages 4-11) = 1/5 of 0-4 + all of 5-9 + 2/5 of 10-14;
   vo (ages 12-17) = 3/5 of 10-14 + 3/5 of 15-19;
2. scale per jeugdregio so the region's total equals the pupils counted at its school sites: po = bao + sbo + so
   (+ half of combined so/vso sites), vo = vo + pro + vso (+ the other half). The jeugdregio is the level at which
   residence and school location match well; per gemeente they do not (pupils cross into the next town).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PO_WEIGHTS = {"age_0_4": 0.2, "age_5_9": 1.0, "age_10_14": 0.4}
VO_WEIGHTS = {"age_10_14": 0.6, "age_15_19": 0.6}
PO_SECTORS = {"bao": 1.0, "sbo": 1.0, "so": 1.0, "so/vso": 0.5}
VO_SECTORS = {"vo": 1.0, "pro": 1.0, "vso": 1.0, "so/vso": 0.5}

METHOD = (
    "Estimated, not counted. Residents aged 4-11 (po) and 12-17 (vo) per PC4 are interpolated uniformly inside "
    "CBS five-year age bands of {population_date} (po = 0.2*age_0_4 + age_5_9 + 0.4*age_10_14; vo = 0.6*age_10_14 + "
    "0.6*age_15_19), then scaled per jeugdregio so that the region's total equals the pupils DUO counts at the "
    "school sites in that jeugdregio (po: bao + sbo + so + half of so/vso; vo: vo + pro + vso + half of so/vso). "
    "The scale factor of each PC4 is in columns scale_po and scale_vo."
)


def raw_estimates(pc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    po = sum(w * pc[c].to_numpy(dtype=float) for c, w in PO_WEIGHTS.items())
    vo = sum(w * pc[c].to_numpy(dtype=float) for c, w in VO_WEIGHTS.items())
    return po, vo


def site_totals(schools: pd.DataFrame, key: str = "jeugdregio") -> pd.DataFrame:
    """po and vo pupils counted at school sites, per ``key``."""
    w_po = schools.sector.map(PO_SECTORS).fillna(0.0)
    w_vo = schools.sector.map(VO_SECTORS).fillna(0.0)
    return pd.DataFrame({"po": (schools.pupils * w_po).groupby(schools[key]).sum(),
                         "vo": (schools.pupils * w_vo).groupby(schools[key]).sum()})


def estimate_pupils(pc: pd.DataFrame, schools: pd.DataFrame, report=None) -> tuple[pd.DataFrame, str]:
    pc = pc.copy()
    po, vo = raw_estimates(pc)
    targets = site_totals(schools)
    raw = pd.DataFrame({"po": po, "vo": vo, "jz": pc.jeugdregio}).groupby("jz").sum()
    factors = (targets / raw).replace([np.inf, -np.inf], np.nan)
    f_po = pc.jeugdregio.map(factors.po).fillna(1.0).to_numpy()
    f_vo = pc.jeugdregio.map(factors.vo).fillna(1.0).to_numpy()
    pc["pupils_po"] = np.round(po * f_po, 2)
    pc["pupils_vo"] = np.round(vo * f_vo, 2)
    pc["scale_po"] = np.round(f_po, 4)
    pc["scale_vo"] = np.round(f_vo, 4)
    if report is not None:
        report.add("pupil estimates",
                   f"po {pc.pupils_po.sum():,.0f} (residents 4-11: {po.sum():,.0f}), vo {pc.pupils_vo.sum():,.0f} "
                   f"(residents 12-17: {vo.sum():,.0f}); scale factors per jeugdregio po "
                   f"{factors.po.min():.2f}-{factors.po.max():.2f}, vo {factors.vo.min():.2f}-{factors.vo.max():.2f}")
    return pc, METHOD
