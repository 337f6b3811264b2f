"""Where each official source lives, and the knobs of a fetch run.

Every address can be overridden (``--source NAME=URL`` on the command line), so a moved file or a local mirror
needs no code change, and the tests point all of them at a server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, field, replace

from regioindeling.data.fetch.http import HttpSettings
from regioindeling.errors import InputError

# name -> default URL. Each downloader reads only its own entries.
DEFAULT_URLS: dict[str, str] = {
    # CBS gebiedsindelingen via PDOK OGC API Features (gemeente_gegeneraliseerd, jeugdregio_gegeneraliseerd)
    "pdok_gebiedsindelingen": "https://api.pdok.nl/cbs/gebiedsindelingen/ogc/v1",
    # CBS postcode4 statistics via PDOK OGC API Features (PC4 polygons)
    "pdok_postcode4": "https://api.pdok.nl/cbs/postcode4/ogc/v1",
    # CBS StatLine 83502NED "Bevolking; geslacht, leeftijd en viercijferige postcode, 1 januari" (OData v3)
    "cbs_population": "https://opendata.cbs.nl/ODataApi/odata/83502NED",
    # DUO open onderwijsdata: addresses of all school sites, by sector
    "duo_bao": "https://duo.nl/open_onderwijsdata/images/02.-alle-schoolvestigingen-basisonderwijs.csv",
    "duo_sbo_so_vso": "https://duo.nl/open_onderwijsdata/images/09.-alle-vestigingen-sbo-so-en-vso.csv",
    "duo_vo": "https://duo.nl/open_onderwijsdata/images/02.-alle-vestigingen-vo.csv",
    # DUO pupils: po per vestiging (all years) and the page listing the yearly vo-per-vestiging files
    "duo_po_pupils": "https://duo.nl/open_onderwijsdata/images/"
                     "06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv",
    "duo_vo_pupils": "https://duo.nl/open_onderwijsdata/voortgezet-onderwijs/aantal-leerlingen/aantal-leerlingen.jsp",
    # PDOK Locatieserver: BAG address -> coordinates (DUO files carry addresses only)
    "locatieserver": "https://api.pdok.nl/bzk/locatieserver/search/v3_1",
    # Basiswettenbestand repository: the consolidated Regeling regio-indeling (BWBR0032324) as XML
    "bwb_regeling": "https://repository.officiele-overheidspublicaties.nl/bwb/BWBR0032324/",
}


@dataclass(frozen=True)
class FetchConfig:
    urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_URLS))
    http: HttpSettings = field(default_factory=HttpSettings)
    today: dt.date = field(default_factory=dt.date.today)
    geocode_workers: int = 4  # parallel Locatieserver requests; PDOK asks for moderate use

    def url(self, name: str) -> str:
        return self.urls[name]

    def with_urls(self, overrides: dict[str, str]) -> FetchConfig:
        unknown = sorted(set(overrides) - set(DEFAULT_URLS))
        if unknown:
            raise InputError("--source", f"unknown source name '{unknown[0]}'",
                             f"use one of {', '.join(sorted(DEFAULT_URLS))}")
        return replace(self, urls={**self.urls, **overrides})

    def rebased(self, base: str) -> FetchConfig:
        """Every URL moved to ``base`` (scheme://host:port), keeping its path: a local mirror or test server."""
        b = urllib.parse.urlsplit(base)
        urls = {k: urllib.parse.urlunsplit(urllib.parse.urlsplit(v)._replace(scheme=b.scheme, netloc=b.netloc))
                for k, v in self.urls.items()}
        return replace(self, urls=urls)


def parse_source_overrides(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise InputError("--source", f"'{item}' is not NAME=URL", "write e.g. --source duo_vo=https://.../file.csv")
        out[name.strip()] = url.strip()
    return out
