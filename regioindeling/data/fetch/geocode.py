"""PDOK Locatieserver: coordinates for a DUO school address (postcode + house number).

DUO's address files carry no coordinates. We look each address up in the BAG through the Locatieserver
``free`` endpoint (``type:adres``, exact postcode and house number). When the address is not found we take the
centre of the 6-position postcode (``type:postcode``); the caller falls back to the PC4 area's centre after that.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from regioindeling.data.fetch.http import Http, parse_json
from regioindeling.errors import InputError

SOURCE = "PDOK Locatieserver"
_POINT = re.compile(r"POINT\(\s*([-\d.]+)\s+([-\d.]+)\s*\)")
FIELDS = "id,type,weergavenaam,postcode,huisnummer,huisletter,huisnummertoevoeging,centroide_ll"


@dataclass(frozen=True)
class Address:
    postcode: str  # '1941AB'
    number: int
    addition: str  # letter/toevoeging as DUO writes it after the '-' ('A', 'G', '2'), or ''

    @property
    def key(self) -> str:
        return f"{self.postcode} {self.number}{('-' + self.addition) if self.addition else ''}"


@dataclass(frozen=True)
class Located:
    lon: float
    lat: float
    precision: str  # 'adres', 'postcode' (PC6 centre) or 'pc4' (PC4 area centre)


def parse_address(postcode: str, huisnummer: str) -> Address | None:
    pc = postcode.replace(" ", "").upper()
    m = re.match(r"^\s*(\d+)\s*[- ]?\s*(.*?)\s*$", huisnummer or "")
    if not re.fullmatch(r"\d{4}[A-Z]{2}", pc) or not m:
        return None
    return Address(pc, int(m.group(1)), m.group(2).strip().upper())


def _point(doc: dict) -> tuple[float, float] | None:
    m = _POINT.match(str(doc.get("centroide_ll", "")))
    return (float(m.group(1)), float(m.group(2))) if m else None


class Locatieserver:
    def __init__(self, http: Http, base: str, workers: int = 4) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.workers = max(1, workers)

    def _docs(self, q: str, fq: list[str]) -> list[dict]:
        from urllib.parse import quote, urlencode

        query = urlencode([("q", q), *(("fq", f) for f in fq), ("fl", FIELDS), ("rows", "20")], quote_via=quote)
        url = f"{self.base}/free?{query}"
        doc = parse_json(self.http.get(url, SOURCE, accept="application/json").body, url, SOURCE)
        docs = doc.get("response", {}).get("docs") if isinstance(doc, dict) else None
        if not isinstance(docs, list):
            raise InputError(url, f"{SOURCE}: answer has no response.docs list", "check the Locatieserver address")
        return docs

    def locate(self, a: Address) -> Located | None:
        docs = self._docs(f"{a.postcode} {a.number}", ["type:adres", f"postcode:{a.postcode}", f"huisnummer:{a.number}"])
        same = [d for d in docs if str(d.get("postcode", "")).upper() == a.postcode
                and str(d.get("huisnummer", "")) == str(a.number)]

        def rank(d: dict) -> tuple:
            extra = (str(d.get("huisletter") or "") + str(d.get("huisnummertoevoeging") or "")).upper()
            return (extra != a.addition, extra != "", str(d.get("id", "")))

        for d in sorted(same, key=rank):
            if (p := _point(d)) is not None:
                return Located(round(p[0], 6), round(p[1], 6), "adres")
        docs = self._docs(a.postcode, ["type:postcode", f"postcode:{a.postcode}"])
        for d in sorted(docs, key=lambda d: str(d.get("id", ""))):
            if str(d.get("postcode", "")).upper() == a.postcode and (p := _point(d)) is not None:
                return Located(round(p[0], 6), round(p[1], 6), "postcode")
        return None

    def locate_all(self, addresses: list[Address], cache: dict[str, Located] | None = None,
                   progress=None) -> dict[str, Located | None]:
        """Every distinct address once; ``cache`` (from the previous fetch) saves lookups of unchanged sites."""
        cache = cache or {}
        todo = sorted({a.key: a for a in addresses if a.key not in cache}.values(), key=lambda a: a.key)
        out: dict[str, Located | None] = {a.key: cache[a.key] for a in addresses if a.key in cache}
        with ThreadPoolExecutor(self.workers) as pool:
            for i, (a, loc) in enumerate(zip(todo, pool.map(self.locate, todo)), start=1):
                out[a.key] = loc
                if progress and i % 250 == 0:
                    progress(f"geocoding school addresses: {i}/{len(todo)}")
        return out
