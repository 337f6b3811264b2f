"""CBS StatLine (OData v3): residents per PC4 in five-year age bands -> the ``pc4_population`` CSV.

Table 83502NED has dimensions Geslacht, Leeftijd, Postcode and Perioden; we take the newest period, sex
"Totaal" and every five-year band, one request per band (the API returns at most 10,000 rows per request and
pages beyond that with ``odata.nextLink``). Empty cells (suppressed by CBS) stay empty = unknown.
"""

from __future__ import annotations

import csv
import io
import re

from regioindeling.data.fetch.http import Http, with_query
from regioindeling.errors import InputError

SOURCE = "CBS StatLine population by PC4 and age"
_BAND = re.compile(r"^(\d+) tot (\d+) jaar$")
_TOP = re.compile(r"^(\d+) jaar of ouder$")
_PC4 = re.compile(r"^(?:PC)?(\d{4})$")
MAX_PAGES = 100


def _values(http: Http, url: str) -> list[dict]:
    rows: list[dict] = []
    pages = 0
    while url:
        doc = http.get_json(url, SOURCE)
        if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
            raise InputError(url, f"{SOURCE}: answer has no 'value' list", "check the OData address of the table")
        rows += doc["value"]
        url = doc.get("odata.nextLink")
        pages += 1
        if pages > MAX_PAGES:
            raise InputError(url, f"{SOURCE}: paging does not end", "try again later")
    return rows


def age_column(title: str) -> str | None:
    """'0 tot 5 jaar' -> 'age_0_4', '95 jaar of ouder' -> 'age_95_plus'; other groupings -> None."""
    t = " ".join(title.split())
    m = _BAND.match(t)
    if m and int(m.group(2)) - int(m.group(1)) == 5:
        return f"age_{m.group(1)}_{int(m.group(2)) - 1}"
    m = _TOP.match(t)
    return f"age_{m.group(1)}_plus" if m else None


def fetch_population(http: Http, base: str) -> tuple[bytes, str]:
    """CSV bytes (pc4, age_0_4, ..., age_95_plus) and the reference date (YYYY-01-01)."""
    base = base.rstrip("/")
    periods = [r for r in _values(http, f"{base}/Perioden?$format=json") if str(r.get("Key", "")).strip()]
    if not periods:
        raise InputError(f"{base}/Perioden", f"{SOURCE}: no periods", "check the table id")
    period = max(periods, key=lambda r: str(r["Key"]).strip())
    key_period = str(period["Key"]).strip()
    sexes = _values(http, f"{base}/Geslacht?$format=json")
    total = [str(r["Key"]).strip() for r in sexes if str(r.get("Title", "")).strip().lower().startswith("totaal")]
    if not total:
        raise InputError(f"{base}/Geslacht", f"{SOURCE}: no 'Totaal' sex category", "check the table id")
    ages = {}
    for r in _values(http, f"{base}/Leeftijd?$format=json"):
        col = age_column(str(r.get("Title", "")))
        if col:
            ages[str(r["Key"]).strip()] = col
    if "age_0_4" not in ages.values() or "age_15_19" not in ages.values():
        raise InputError(f"{base}/Leeftijd", f"{SOURCE}: no five-year age bands (0 tot 5 jaar ...)",
                         "use a CBS table with five-year age groups per PC4 (e.g. 83502NED)")
    # postcode titles are the 4 digits; keys may carry a 'PC' prefix and padding
    titles = {str(r.get("Key", "")).strip(): str(r.get("Title", "")).strip()
              for r in _values(http, f"{base}/Postcode?$format=json")}
    cols = sorted(ages.values(), key=lambda c: int(c.split("_")[1]))
    table: dict[str, dict[str, str]] = {}
    for key, col in sorted(ages.items(), key=lambda kv: int(kv[1].split("_")[1])):
        url = with_query(f"{base}/TypedDataSet", **{
            "$format": "json",
            "$filter": f"Perioden eq '{key_period}' and Geslacht eq '{total[0]}' and Leeftijd eq '{key}'",
            "$select": "Postcode,Bevolking_1"})
        for row in _values(http, url):
            key = str(row.get("Postcode", "")).strip()
            m = _PC4.match(titles[key] if key in titles else key)  # the title decides: 'PC3194' may be PC3 194
            if not m:
                continue  # national, PC2 and PC3 totals
            value = next((v for k, v in row.items() if k.startswith("Bevolking")), None)
            table.setdefault(m.group(1), {})[col] = "" if value is None else str(int(value))
    if not table:
        raise InputError(f"{base}/TypedDataSet", f"{SOURCE}: no PC4 rows for period {key_period}",
                         "check the table id and period")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["pc4", *cols])
    for pc4 in sorted(table):
        w.writerow([pc4, *(table[pc4].get(c, "") for c in cols)])
    year = re.match(r"^(\d{4})", key_period)
    ref = f"{year.group(1)}-01-01" if year else key_period
    return buf.getvalue().encode("utf-8"), ref
