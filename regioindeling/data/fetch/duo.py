"""DUO open onderwijsdata CSV files: download, decode, check they are whole, parse.

DUO serves ';'-separated files, some in Windows-1252, some in UTF-8 (with BOM). A file is accepted only if its
header has the columns we need and every row has as many fields as the header (a cut-off download fails here).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from regioindeling.data.fetch.http import Http
from regioindeling.errors import InputError

FIX_FILE = "open the URL in a browser; if DUO moved or renamed the file, pass its new address with --source"


@dataclass(frozen=True)
class DuoFile:
    url: str
    body: bytes  # exactly as downloaded
    text: str
    rows: list[dict[str, str]]
    header: list[str]


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def parse_csv(body: bytes, url: str, source: str, required: list[str]) -> DuoFile:
    text = decode(body)
    if not text.strip():
        raise InputError(url, f"{source}: empty file", FIX_FILE)
    if not text.endswith("\n"):
        # DUO ends every file with a line break; without one the last value may be cut short ('28' for '284')
        raise InputError(url, f"{source}: last row has no line break (file truncated or damaged)",
                         "run 'regioindeling data fetch' again")
    reader = csv.reader(io.StringIO(text), delimiter=";", quotechar='"')
    try:
        rows = [r for r in reader if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise InputError(url, f"{source}: unreadable CSV ({exc}); truncated or wrong content", FIX_FILE) from None
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(url, f"{source}: column '{missing[0]}' missing (header starts "
                         f"'{';'.join(header[:4])[:60]}'); not the expected DUO file", FIX_FILE, field=missing[0])
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            where = "last row" if i == len(rows) else f"row {i}"
            raise InputError(url, f"{source}: {where} has {len(r)} fields, header has {len(header)} "
                             "(file truncated or damaged)", "run 'regioindeling data fetch' again")
    if len(rows) < 2:
        raise InputError(url, f"{source}: header only, no rows", FIX_FILE)
    data = [{h: v.strip() for h, v in zip(header, r)} for r in rows[1:]]
    return DuoFile(url, body, text, data, header)


def fetch_csv(http: Http, url: str, source: str, required: list[str]) -> DuoFile:
    return parse_csv(http.get(url, source, accept="text/csv, */*").body, url, source, required)


def vo_pupils_url(http: Http, page_or_csv: str) -> str:
    """The newest 'leerlingen vo per vestiging en bestuur' CSV linked from DUO's page (or the CSV given directly)."""
    if page_or_csv.lower().split("?")[0].endswith(".csv"):
        return page_or_csv
    html = decode(http.get(page_or_csv, "DUO page 'aantal leerlingen vo'", accept="text/html",
                           expect_html=True).body)
    found = re.findall(r"""href=["']([^"']*leerlingen-vo-per-vestiging-en-bestuur[^"']*?(\d{4})\.csv)["']""", html,
                       flags=re.I)
    if not found:
        raise InputError(page_or_csv, "DUO page 'aantal leerlingen vo': no link to a "
                         "'leerlingen-vo-per-vestiging-en-bestuur-...-YYYY.csv' file",
                         "pass the CSV's address directly with --source duo_vo_pupils=URL")
    from urllib.parse import urljoin

    href, _year = max(found, key=lambda f: (f[1], f[0]))
    return urljoin(page_or_csv, href)


def latest_year_column(header: list[str]) -> str | None:
    years = sorted(h for h in header if re.fullmatch(r"LEERLINGEN_\d{4}", h))
    return years[-1] if years else None
