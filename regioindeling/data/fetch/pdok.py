"""PDOK OGC API Features: CBS gebiedsindelingen (gemeente, jeugdregio) and CBS postcode4 areas, as GeoJSON WGS84.

Both APIs hold several years (``jaarcode``); we take the newest year that has features, and follow the
``next`` links (PDOK pages by cursor, at most 1000 features per page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regioindeling.data.fetch.http import Http, with_query
from regioindeling.errors import InputError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
MAX_PAGES = 200


@dataclass(frozen=True)
class Collection:
    role: str
    source: str  # human name for messages
    base: str  # name of the base URL in FetchConfig
    collection: str
    code_pattern: str  # regex a valid code matches
    code_field: str  # property holding the code in the API
    name_field: str | None  # property holding the name, if any


GEMEENTE = Collection("gemeenten", "PDOK CBS gebiedsindelingen (gemeente)", "pdok_gebiedsindelingen",
                      "gemeente_gegeneraliseerd", r"^GM\d{4}$", "statcode", "statnaam")
JEUGDREGIO = Collection("jeugdregios", "PDOK CBS gebiedsindelingen (jeugdregio)", "pdok_gebiedsindelingen",
                        "jeugdregio_gegeneraliseerd", r"^JZ\d{2}$", "statcode", "statnaam")
POSTCODE4 = Collection("pc4_polygons", "PDOK CBS postcode4", "pdok_postcode4", "postcode4", r"^\d{4}$",
                       "postcode", None)


def items_url(base: str, coll: Collection) -> str:
    return f"{base.rstrip('/')}/collections/{coll.collection}/items"


def _page(http: Http, url: str, source: str) -> dict:
    doc = http.get_json(url, source)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise InputError(url, f"{source}: answer is not a GeoJSON FeatureCollection",
                         "check the address; it must be an OGC API Features '/items' endpoint")
    return doc


def _next(doc: dict) -> str | None:
    for link in doc.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return link["href"]
    return None


def fetch_features(http: Http, base: str, coll: Collection, year: int) -> list[dict]:
    url = with_query(items_url(base, coll), f="json", limit=1000, jaarcode=year, crs=CRS84)
    features: list[dict] = []
    seen: set[str] = set()
    while url:
        if url in seen or len(seen) >= MAX_PAGES:
            raise InputError(url, f"{coll.source}: paging does not end", "report it to PDOK; try again later")
        seen.add(url)
        doc = _page(http, url, coll.source)
        features += doc["features"]
        url = _next(doc)
    return features


def newest_year(http: Http, base: str, coll: Collection, today_year: int, back: int = 8) -> int:
    """The newest ``jaarcode`` (this year or up to ``back`` years earlier) that has any feature."""
    tried = []
    for year in range(today_year, today_year - back - 1, -1):
        url = with_query(items_url(base, coll), f="json", limit=1, jaarcode=year)
        if _page(http, url, coll.source)["features"]:
            return year
        tried.append(str(year))
    raise InputError(items_url(base, coll), f"{coll.source}: no features for jaarcode {', '.join(tried)}",
                     "check the collection name and address (see docs/data-refresh.md)")


def _round(coords, ndigits: int = 6):
    """Coordinates to 6 decimals (about 0.1 m): smaller files, and the same bytes for the same boundaries."""
    if coords and isinstance(coords[0], (int, float)):
        return [round(float(c), ndigits) for c in coords]
    return [_round(c, ndigits) for c in coords]


def to_role_geojson(features: list[dict], coll: Collection, url: str) -> tuple[dict, int]:
    """Keep code, name and geometry, sorted by code so the file is the same for the same data.

    Regions must be one polygon feature per code. PC4 areas may come in several features (``data build``
    dissolves them) and a PC4 without geometry is skipped (CBS publishes a few); returns how many were skipped.
    """
    out: dict[str, list[dict]] = {}
    skipped = 0
    pc4 = coll.role == "pc4_polygons"
    pattern = re.compile(coll.code_pattern)
    for f in features:
        props = f.get("properties") or {}
        code = str(props.get(coll.code_field, "")).strip()
        geom = f.get("geometry")
        if not pattern.match(code):
            raise InputError(url, f"{coll.source}: feature with {coll.code_field} '{code}' (expected {coll.code_pattern})",
                             "the API changed its properties; update regioindeling/data/fetch/pdok.py",
                             field=coll.code_field)
        if not geom or geom.get("type") not in ("Polygon", "MultiPolygon"):
            if pc4:
                skipped += 1
                continue
            raise InputError(url, f"{coll.source}: {code} has no polygon geometry", "try again later", field="geometry")
        if pc4:
            keep = {"pc4": code}
        else:
            keep = {"statcode": code, "statnaam": str(props.get(coll.name_field) or "").strip()}
        if code in out and not pc4:
            raise InputError(url, f"{coll.source}: {code} occurs twice", "try again later (inconsistent paging?)",
                             field=coll.code_field)
        geom = {"type": geom["type"], "coordinates": _round(geom.get("coordinates", []))}
        out.setdefault(code, []).append({"type": "Feature", "properties": keep, "geometry": geom})
    if not out:
        raise InputError(url, f"{coll.source}: no features", "check the address and the year")
    return {"type": "FeatureCollection", "features": [f for k in sorted(out) for f in out[k]]}, skipped
