"""The Regeling regio-indeling samenwerkingsverbanden passend onderwijs PO en VO (BWBR0032324) -> ``swv_pc4``.

The consolidated text is in the Basiswettenbestand repository: ``.../bwb/BWBR0032324/`` is a manifest whose
``_latestItem`` names the newest toestand (e.g. ``2015-04-23_0/xml/BWBR0032324_2015-04-23_0.xml``). Its annex is a
table with one row per PC4: postcode, gemeente, PO SWV, VO SWV. The table reader accepts both the BWB XML (CALS
``row``/``entry``) and HTML (``tr``/``td``, as on wetten.overheid.nl), so the source may also point at a page.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

from regioindeling.data.fetch.duo import decode
from regioindeling.data.fetch.http import Http
from regioindeling.errors import InputError

SOURCE = "Regeling regio-indeling SWV (BWBR0032324)"
_SWV = {"po": re.compile(r"^PO\s?\d{4}$"), "vo": re.compile(r"^VO\s?\d{4}$")}


class _Tables(HTMLParser):
    """Rows of every table: CALS (row/entry) or HTML (tr/td/th)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("row", "tr"):
            self._row = []
        elif tag in ("entry", "td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("entry", "td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("row", "tr") and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def annex_rows(text: str, url: str) -> list[tuple[str, str, str, str]]:
    p = _Tables()
    p.feed(text)
    p.close()
    out = []
    for r in p.rows:
        if len(r) < 4 or not re.fullmatch(r"\d{4}", r[0]):
            continue
        po, vo = r[2].replace(" ", ""), r[3].replace(" ", "")
        ok_po = _SWV["po"].match(po) or po == "Europoort"
        ok_vo = _SWV["vo"].match(vo) or vo == "Europoort"
        if not (ok_po and ok_vo):
            raise InputError(url, f"{SOURCE}: annex row for PC4 {r[0]} has SWV codes '{r[2]}', '{r[3]}'",
                             "the annex layout changed; check the Regeling on wetten.overheid.nl", field="swv")
        out.append((r[0], r[1], po, vo))
    if not out:
        raise InputError(url, f"{SOURCE}: no annex table with PC4 rows (postcode, gemeente, PO, VO)",
                         "point --source bwb_regeling at the BWB manifest or the toestand XML of BWBR0032324")
    seen: dict[str, tuple] = {}
    for row in out:
        if row[0] in seen and seen[row[0]] != row:
            raise InputError(url, f"{SOURCE}: PC4 {row[0]} listed twice with different SWVs",
                             "check the annex of the Regeling", field="pc4")
        seen[row[0]] = row
    return [seen[k] for k in sorted(seen)]


def _latest_item(manifest: bytes, url: str) -> str:
    try:
        root = ET.fromstring(manifest)
    except ET.ParseError as exc:
        raise InputError(url, f"{SOURCE}: manifest is not XML ({exc}); truncated or wrong content",
                         "run 'regioindeling data fetch' again") from None
    item = root.attrib.get("_latestItem")
    if not item:
        labels = sorted(e.get("label", "") for e in root.iter() if e.tag.endswith("expression") and e.get("label"))
        if not labels:
            raise InputError(url, f"{SOURCE}: manifest names no toestand (_latestItem)",
                             "point --source bwb_regeling at the toestand XML directly")
        item = f"{labels[-1]}/xml/BWBR0032324_{labels[-1]}.xml"
    return item


def _check_whole(text: str, url: str) -> None:
    """A cut-off document would still yield table rows, just too few: insist on a complete document."""
    t = text.lstrip()
    if t.startswith("<?xml") or t.startswith("<toestand"):
        try:
            ET.fromstring(text.encode("utf-8"))
        except ET.ParseError as exc:
            raise InputError(url, f"{SOURCE}: XML not well-formed ({exc}); truncated download?",
                             "run 'regioindeling data fetch' again") from None
    elif "</html>" not in t[-2000:].lower():
        raise InputError(url, f"{SOURCE}: page ends without </html>; truncated download?",
                         "run 'regioindeling data fetch' again")


def fetch_regeling(http: Http, url: str) -> tuple[bytes, str, str]:
    """CSV bytes (pc4,gemeente,swv_po,swv_vo), the toestand's date and the URL of the text that was read."""
    resp = http.get(url, SOURCE, accept="application/xml, text/xml, text/html", expect_html=True)
    text_url = url
    body = resp.body
    head = body[:400].lstrip()
    if head.startswith(b"<?xml") and b"<work" in body[:2000]:
        text_url = urljoin(url if url.endswith("/") else url + "/", _latest_item(body, url))
        body = http.get(text_url, SOURCE, accept="application/xml, text/xml", expect_html=True).body
    text = decode(body)
    _check_whole(text, text_url)
    rows = annex_rows(text, text_url)
    m = re.search(r"(\d{4}-\d{2}-\d{2})_\d+", text_url) or re.search(r'inwerkingtreding="(\d{4}-\d{2}-\d{2})"', text)
    ref = m.group(1) if m else ""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["pc4", "gemeente", "swv_po", "swv_vo"])
    w.writerows(rows)
    return buf.getvalue().encode("utf-8"), ref, text_url
