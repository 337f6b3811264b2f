"""``data fetch``: download every official source into a fresh raw directory, validate, then swap it in.

Everything is written to a temporary directory beside ``--out``. Only when every source downloaded, converted
to its role's format (:data:`regioindeling.data.raw.ROLE_CONTRACT`) and passed validation is ``manifest.json``
written and the directory swapped in with :func:`regioindeling.atomic.replace_dir`. Any failure leaves the old
directory exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from regioindeling.data.fetch import cbs, duo, geocode, pdok, regeling, schools
from regioindeling.data.fetch.config import FetchConfig
from regioindeling.data.fetch.http import Http
from regioindeling.data.raw import MANIFEST, ROLE_CONTRACT, RawSource, read_manifest, sha256_of
from regioindeling.errors import InputError

# role -> file inside the fetched directory
ROLE_FILES: dict[str, str] = {
    "gemeenten": "geo/gemeenten.geojson",
    "jeugdregios": "geo/jeugdregios.geojson",
    "pc4_polygons": "geo/pc4_polygons.geojson",
    "pc4_population": "geo/pc4_population.csv",
    "swv_pc4": "onderwijs/swv_pc4.csv",
    "schools": "onderwijs/schools.geojson",
    "po_pupils": "onderwijs/po_pupils_per_vestiging.csv",
}
_CBS_PDOK = "CBS / PDOK"
_CC_BY = "CC BY 4.0 (CBS open data)"
_DUO = "DUO (Dienst Uitvoering Onderwijs), open onderwijsdata"
_DUO_LIC = "DUO open onderwijsdata (CC0 or CC BY 4.0; verify on duo.nl)"


@dataclass
class FetchReport:
    out: str = ""
    lines: list[tuple[str, str]] = field(default_factory=list)
    requests: int = 0

    def add(self, key: str, text: str) -> None:
        self.lines.append((key, text))


def _download(url: str, body: bytes) -> dict:
    return {"url": url, "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}


class _Run:
    def __init__(self, staging: Path, config: FetchConfig, previous: Path | None, progress) -> None:
        self.dir = staging
        self.cfg = config
        self.http = Http(config.http)
        self.previous = previous
        self.step = progress or (lambda msg: None)
        self.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self.sources: dict[str, RawSource] = {}
        self.rep = FetchReport()

    def _write(self, role: str, data: bytes) -> Path:
        path = self.dir / ROLE_FILES[role]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def _source(self, role: str, url: str, description: str, publisher: str, reference_date: str, licence: str,
                downloads: list[dict]) -> None:
        path = self.dir / ROLE_FILES[role]
        self.sources[role] = RawSource(
            role=role, path=ROLE_FILES[role], description=description, publisher=publisher,
            reference_date=reference_date, licence=licence, url=url, fetched_at=self.now.isoformat(),
            sha256=sha256_of(path), downloads=downloads)

    # ------------------------------------------------------------ sources

    def regions(self) -> dict[str, tuple[float, float]]:
        base = self.cfg.url("pdok_gebiedsindelingen")
        # one year for both: build assigns gemeenten to jeugdregio's by overlap, which needs matching boundaries
        year = min(pdok.newest_year(self.http, base, c, self.cfg.today.year) for c in (pdok.GEMEENTE, pdok.JEUGDREGIO))
        for coll in (pdok.GEMEENTE, pdok.JEUGDREGIO):
            self.step(f"downloading {coll.source}")
            mark = len(self.http.log)
            feats = pdok.fetch_features(self.http, base, coll, year)
            url = pdok.items_url(base, coll)
            doc, _ = pdok.to_role_geojson(feats, coll, url)
            body = (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
            self._write(coll.role, body)
            self._source(coll.role, f"{url}?jaarcode={year}", f"{coll.collection} {year} (CBS gebiedsindelingen)",
                         _CBS_PDOK, str(year), _CC_BY, self.http.log[mark:])
            self.rep.add(coll.role, f"{len(doc['features'])} features, jaarcode {year}")
        base = self.cfg.url("pdok_postcode4")
        coll = pdok.POSTCODE4
        self.step(f"downloading {coll.source}")
        year = pdok.newest_year(self.http, base, coll, self.cfg.today.year)
        url = pdok.items_url(base, coll)
        mark = len(self.http.log)
        doc, skipped = pdok.to_role_geojson(pdok.fetch_features(self.http, base, coll, year), coll, url)
        self._write(coll.role, (json.dumps(doc, separators=(",", ":")) + "\n").encode("utf-8"))
        self._source(coll.role, f"{url}?jaarcode={year}", f"PC4 postcode areas {year} (CBS postcode4)",
                     "CBS (statistieken per postcode) via PDOK", str(year), _CC_BY, self.http.log[mark:])
        self.rep.add(coll.role, f"{len(doc['features'])} PC4 features, jaarcode {year}; {skipped} without geometry "
                     "skipped")
        return _pc4_centres(doc)

    def population(self) -> None:
        self.step("downloading CBS population by PC4 and age")
        base = self.cfg.url("cbs_population")
        mark = len(self.http.log)
        body, ref = cbs.fetch_population(self.http, base)
        self._write("pc4_population", body)
        self._source("pc4_population", base, "population per PC4 in five-year age bands", "CBS StatLine", ref,
                     _CC_BY, self.http.log[mark:])
        self.rep.add("pc4_population", f"{_lines(body) - 1} PC4 rows, 1 January {ref[:4]}")

    def regeling(self) -> None:
        self.step("downloading the Regeling regio-indeling (BWBR0032324)")
        mark = len(self.http.log)
        body, ref, text_url = regeling.fetch_regeling(self.http, self.cfg.url("bwb_regeling"))
        self._write("swv_pc4", body)
        self._source("swv_pc4", text_url, "PC4 -> po and vo SWV (Regeling regio-indeling, BWBR0032324)",
                     "Minister van OCW (Basiswettenbestand, BWBR0032324)", ref, "public law (Auteurswet art. 11)",
                     self.http.log[mark:])
        self.rep.add("swv_pc4", f"{_lines(body) - 1} PC4 rows, toestand {ref}")

    def schools(self, pc4_centres: dict[str, tuple[float, float]]) -> None:
        u = self.cfg.url
        self.step("downloading DUO school addresses and pupils")
        bao = duo.fetch_csv(self.http, u("duo_bao"), "DUO alle schoolvestigingen basisonderwijs", schools.BAO_COLUMNS)
        special = duo.fetch_csv(self.http, u("duo_sbo_so_vso"), "DUO alle vestigingen sbo, so en vso",
                                schools.SPECIAL_COLUMNS)
        vo = duo.fetch_csv(self.http, u("duo_vo"), "DUO alle vestigingen vo", schools.VO_COLUMNS)
        vo_url = duo.vo_pupils_url(self.http, u("duo_vo_pupils"))
        vo_pupils = duo.fetch_csv(self.http, vo_url, "DUO leerlingen vo per vestiging", schools.VO_PUPIL_COLUMNS)
        po = duo.fetch_csv(self.http, u("duo_po_pupils"), "DUO historisch overzicht leerlingen per schoolvestiging",
                           schools.PO_PUPIL_COLUMNS)
        year = duo.latest_year_column(po.header)
        if not year:
            raise InputError(po.url, "DUO historisch overzicht leerlingen: no LEERLINGEN_<year> column",
                             "check that the address points at the po pupils per vestiging file",
                             field="LEERLINGEN_<year>")
        # the po pupils file is a role as it is (build reads it with ';' and UTF-8); re-encode only if needed
        body = po.body if po.body.startswith(b"\xef\xbb\xbf") or _is_utf8(po.body) else po.text.encode("utf-8-sig")
        self._write("po_pupils", body)
        self._source("po_pupils", po.url, f"DUO pupils per po vestiging (bo, sbo, so, vso), up to {year[11:]}", _DUO,
                     year[11:], _DUO_LIC, [_download(po.url, po.body)])
        sites, dup = schools.sites_from(bao, special, vo)
        self.step(f"geocoding {len(sites)} school addresses (PDOK Locatieserver)")
        cache = schools.previous_locations(self.previous / ROLE_FILES["schools"]) if self.previous else {}
        mark = len(self.http.log)
        ls = geocode.Locatieserver(self.http, u("locatieserver"), self.cfg.geocode_workers)
        located = ls.locate_all([s.address for s in sites if s.address], cache, self.step)
        srep = schools.SchoolsReport(duplicates=dup)
        doc = schools.build_geojson(sites, schools.pupils_from(po, vo_pupils), located, pc4_centres, srep)
        schools.check_located(srep, u("locatieserver"))
        self._write("schools", (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
        self._source("schools", u("duo_bao"), "DUO school sites (bao, sbo, so, vso, vo, pro), geocoded with the PDOK "
                     f"Locatieserver; pupils po {year[11:]}, vo from {vo_url.rsplit('/', 1)[-1]}", _DUO,
                     self.now.date().isoformat(), _DUO_LIC,
                     [*(_download(f.url, f.body) for f in (bao, special, vo, vo_pupils)),
                      {"url": u("locatieserver"), "requests": len(self.http.log) - mark}])
        prec = ", ".join(f"{k} {v}" for k, v in sorted(srep.by_precision.items()))
        self.rep.add("schools", f"{srep.sites} sites ({dup} duplicate codes skipped); located by {prec}; "
                     f"{len(cache)} addresses reused from the previous fetch")
        if srep.not_located:
            self.rep.add("schools not located (left out)", "; ".join(srep.not_located))


def _lines(body: bytes) -> int:
    return body.count(b"\n")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _pc4_centres(doc: dict) -> dict[str, tuple[float, float]]:
    import shapely.geometry

    out = {}
    for f in doc["features"]:
        p = shapely.geometry.shape(f["geometry"]).representative_point()
        out[f["properties"]["pc4"]] = (p.x, p.y)
    return out


# ------------------------------------------------------------ validation


def validate(raw_dir: Path) -> None:
    """Each role file readable in its contract's format (the same readers ``data build`` uses)."""
    from regioindeling.data import schema
    from regioindeling.data.build import _read_csv, _read_vector

    src = read_manifest(raw_dir)
    checks = {
        "gemeenten": lambda p: _read_vector(p, "gemeenten", ["statcode", "statnaam"]),
        "jeugdregios": lambda p: _read_vector(p, "jeugdregios", ["statcode", "statnaam"]),
        "pc4_polygons": lambda p: _read_vector(p, "pc4_polygons", ["pc4"]),
        "pc4_population": lambda p: _read_csv(p, "pc4_population", ["pc4", *schema.AGE_BANDS]),
        "swv_pc4": lambda p: _read_csv(p, "swv_pc4", ["pc4", "gemeente", "swv_po", "swv_vo"]),
        "schools": lambda p: _read_vector(p, "schools", ["vestigingscode", "brin_nummer", "naam", "type",
                                                         "postcode", "leerlingen"]),
        "po_pupils": lambda p: _read_csv(p, "po_pupils", ["VESTIGINGSCODE", "SOORT_VESTIGING"], sep=";",
                                         encoding="utf-8-sig"),
    }
    for role in ROLE_CONTRACT:
        path = raw_dir / src[role].path
        table = checks[role](path)
        if len(table) == 0:
            raise InputError(path, f"no rows for role '{role}'", f"the source must provide {ROLE_CONTRACT[role]}")
        if hasattr(table, "geometry"):
            b = table.to_crs("EPSG:4326").total_bounds
            if not (2.5 <= b[0] and b[2] <= 7.6 and 50.5 <= b[1] and b[3] <= 53.8):
                raise InputError(path, f"{role}: coordinates outside the Netherlands ({b.round(3).tolist()})",
                                 "request WGS84 (CRS84) output from the source", field="geometry")


# ------------------------------------------------------------ entry point


def fetch_all(out_dir: str | Path, config: FetchConfig | None = None, progress=None) -> FetchReport:
    """Download all sources into ``out_dir`` (replaced only when everything succeeded)."""
    from regioindeling.atomic import replace_dir

    cfg = config or FetchConfig()
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise InputError(out_dir, "folder exists and is not a 'data fetch' output (no manifest.json)",
                         "choose an empty or new folder for --out")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.fetch.", dir=out_dir.parent))
    staging.chmod(0o755)
    run = _Run(staging, cfg, out_dir if (out_dir / MANIFEST).is_file() else None, progress)
    try:
        centres = run.regions()
        run.population()
        run.regeling()
        run.schools(centres)
        from regioindeling.data.raw import write_manifest

        write_manifest(staging, run.sources)
        run.step("validating")
        validate(staging)
        replace_dir(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    run.rep.out = str(out_dir)
    run.rep.requests = run.http.requests
    return run.rep
