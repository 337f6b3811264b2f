"""``data fetch`` against a local HTTP server on 127.0.0.1 serving recorded samples (tests/fetch_samples).

The samples are the IJmond jeugdregio (JZ10: Beverwijk, Heemskerk, Velsen) cut from the reference copy, each
in its service's format (see tests/fetch_samples/README.md). No test touches the internet.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from regioindeling.data.fetch import FetchConfig, HttpSettings, fetch_all
from regioindeling.data.fetch.cbs import age_column
from regioindeling.data.fetch.geocode import parse_address
from regioindeling.data.fetch.regeling import annex_rows
from regioindeling.data.raw import read_manifest, sha256_of
from regioindeling.errors import InputError

SAMPLES = Path(__file__).resolve().parent / "fetch_samples"
ITEMS = "/cbs/gebiedsindelingen/ogc/v1/collections/{}/items"
VO_PUPILS = "/open_onderwijsdata/images/03.-leerlingen-vo-per-vestiging-en-bestuur-(vavo-apart)-2024.csv"
FILES = {
    "/open_onderwijsdata/images/02.-alle-schoolvestigingen-basisonderwijs.csv": "duo_bao.csv",
    "/open_onderwijsdata/images/09.-alle-vestigingen-sbo-so-en-vso.csv": "duo_sbo_so_vso.csv",
    "/open_onderwijsdata/images/02.-alle-vestigingen-vo.csv": "duo_vo.csv",
    "/open_onderwijsdata/images/06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv":
        "duo_po_pupils.csv",
    VO_PUPILS: "duo_vo_pupils_2024.csv",
    "/ODataApi/odata/83502NED/Perioden": "cbs_Perioden.json",
    "/ODataApi/odata/83502NED/Geslacht": "cbs_Geslacht.json",
    "/ODataApi/odata/83502NED/Leeftijd": "cbs_Leeftijd.json",
    "/ODataApi/odata/83502NED/Postcode": "cbs_Postcode.json",
    "/bwb/BWBR0032324/": "bwb_manifest.xml",
    "/bwb/BWBR0032324/2015-04-23_0/xml/BWBR0032324_2015-04-23_0.xml": "bwb_BWBR0032324_2015-04-23_0.xml",
}
VO_PAGE = ("/open_onderwijsdata/voortgezet-onderwijs/aantal-leerlingen/aantal-leerlingen.jsp")
EMPTY = {"type": "FeatureCollection", "links": [], "features": [], "numberReturned": 0}
MAINTENANCE = (b"<!DOCTYPE html><html><head><title>Onderhoud</title></head><body><h1>Wij zijn zo terug</h1>"
               b"</body></html>")


def _load(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


class SampleServer:
    """Routes the real services' paths to the samples; ``faults[path]`` injects a failure for that path."""

    def __init__(self) -> None:
        self.faults: dict[str, str] = {}
        self.hits: dict[str, int] = {}
        self.adres = json.loads(_load("locatieserver_adres.json"))
        self.pc6 = json.loads(_load("locatieserver_postcode.json"))
        self.cbs_rows = json.loads(_load("cbs_TypedDataSet_rows.json"))
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, path: str, q: dict[str, list[str]]) -> tuple[int, bytes, str]:
        one = {k: v[0] for k, v in q.items()}
        if path == ITEMS.format("gemeente_gegeneraliseerd"):
            if one.get("jaarcode") != "2025":
                return 200, json.dumps(EMPTY).encode(), "application/geo+json"
            return 200, _load("pdok_gemeente_page2.json" if "cursor" in one else "pdok_gemeente_page1.json"), \
                "application/geo+json"
        if path == ITEMS.format("jeugdregio_gegeneraliseerd"):
            body = _load("pdok_jeugdregio.json") if one.get("jaarcode") == "2025" else json.dumps(EMPTY).encode()
            return 200, body, "application/geo+json"
        if path == "/cbs/postcode4/ogc/v1/collections/postcode4/items":
            body = _load("pdok_postcode4.json") if one.get("jaarcode") == "2020" else json.dumps(EMPTY).encode()
            return 200, body, "application/geo+json"
        if path == "/ODataApi/odata/83502NED/TypedDataSet":
            age = re.search(r"Leeftijd eq '([^']+)'", one.get("$filter", "")).group(1)
            rows = [r for r in self.cbs_rows if r["Leeftijd"] == age]
            skip = int(one.get("$skip", 0))
            page = {"odata.metadata": "{BASE}/ODataApi/odata/83502NED/$metadata#Cbs.OData.TypedDataSet",
                    "value": [{"Postcode": r["Postcode"], "Bevolking_1": r["Bevolking_1"]} for r in rows[skip:skip + 20]]}
            if skip + 20 < len(rows):  # page like the OData service does, to exercise odata.nextLink
                page["odata.nextLink"] = "{BASE}" + path + "?" + urllib.parse.urlencode({**one, "$skip": skip + 20})
            return 200, json.dumps(page).encode(), "application/json"
        if path == "/bzk/locatieserver/search/v3_1/free":
            fq = dict(f.split(":", 1) for f in q.get("fq", []))
            if fq.get("type") == "adres":
                docs = self.adres.get(f"{fq.get('postcode')} {fq.get('huisnummer')}", [])
            else:
                docs = self.pc6.get(fq.get("postcode", ""), [])
            body = {"response": {"numFound": len(docs), "start": 0, "maxScore": 1.0, "numFoundExact": True,
                                 "docs": docs}}
            return 200, json.dumps(body).encode(), "application/json"
        if path == VO_PAGE:
            html = ('<!DOCTYPE html><html><body><ul>'
                    '<li><a href="/open_onderwijsdata/images/03.-leerlingen-vo-per-vestiging-en-bestuur-(vavo-apart)'
                    '-2023.csv">2023</a></li>'
                    f'<li><a href="{VO_PUPILS}">2024</a></li></ul></body></html>')
            return 200, html.encode(), "text/html"
        if path in FILES:
            ctype = "application/xml" if FILES[path].endswith(".xml") else (
                "application/json" if FILES[path].endswith(".json") else "text/csv")
            return 200, _load(FILES[path]), ctype
        return 404, b"<html><body>Not found</body></html>", "text/html"

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(h.path)
        path = urllib.parse.unquote(parts.path)
        self.hits[path] = self.hits.get(path, 0) + 1
        status, body, ctype = self.route(path, urllib.parse.parse_qs(parts.query))
        body = body.replace(b"{BASE}", self.base.encode())
        fault = self.faults.get(path)
        if fault == "500":
            status, body, ctype = 500, b"<html><body>Internal Server Error</body></html>", "text/html"
        elif fault == "html":
            status, body, ctype = 200, MAINTENANCE, "text/html"
        elif fault == "slow":
            time.sleep(1.5)
        elif fault == "truncate":  # the file itself ends early (a broken upload at the source)
            body = body[: len(body) // 2]
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if fault == "cut":  # the connection drops half-way through the body
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        try:
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def server():
    s = SampleServer()
    yield s
    s.stop()


@pytest.fixture
def cfg(server):
    server.faults.clear()
    settings = HttpSettings(timeout=1.0, attempts=2, backoff=0.01)
    return FetchConfig(http=settings).rebased(server.base)


@pytest.fixture(scope="module")
def fetched(server, tmp_path_factory):
    """One good fetch, shared by the tests that only read it."""
    server.faults.clear()
    out = tmp_path_factory.mktemp("fetch") / "raw"
    cfg = FetchConfig(http=HttpSettings(timeout=5.0, attempts=2, backoff=0.01)).rebased(server.base)
    rep = fetch_all(out, cfg)
    return out, rep


def _snapshot(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): sha256_of(p) for p in sorted(d.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- the full chain


def test_fetch_writes_every_role_with_provenance(fetched):
    out, rep = fetched
    src = read_manifest(out)
    assert set(src) == {"gemeenten", "jeugdregios", "pc4_polygons", "pc4_population", "swv_pc4", "schools",
                        "po_pupils"}
    for role, s in src.items():
        assert s.url.startswith("http://127.0.0.1:"), role
        assert re.match(r"\d{4}-\d{2}-\d{2}T", s.fetched_at), role
        assert s.sha256 == sha256_of(out / s.path), role
    assert src["gemeenten"].reference_date == "2025"
    assert src["pc4_population"].reference_date == "2021-01-01"
    assert src["swv_pc4"].reference_date == "2015-04-23"
    assert src["po_pupils"].reference_date == "2025"
    # checksums of the DUO files as downloaded
    bao = next(d for d in src["schools"].downloads if d["url"].endswith("basisonderwijs.csv"))
    assert bao["sha256"] == sha256_of(SAMPLES / "duo_bao.csv")
    assert [d["url"].split("?")[0].rsplit("/", 1)[-1] for d in src["swv_pc4"].downloads] == \
        ["", "BWBR0032324_2015-04-23_0.xml"]
    assert src["swv_pc4"].downloads[1]["sha256"] == sha256_of(SAMPLES / "bwb_BWBR0032324_2015-04-23_0.xml")
    assert len(src["pc4_population"].downloads) > 20  # dimension lists + one or more pages per age band
    assert not list(out.parent.glob(".raw.fetch.*")), "staging directory left behind"


def test_fetched_files_follow_the_role_contract(fetched):
    out, _ = fetched
    gm = json.loads((out / "geo/gemeenten.geojson").read_text())
    assert [f["properties"]["statcode"] for f in gm["features"]] == ["GM0375", "GM0396", "GM0453"]  # both pages
    pop = (out / "geo/pc4_population.csv").read_text().splitlines()
    assert pop[0].startswith("pc4,age_0_4,age_5_9,age_10_14,age_15_19,")
    assert pop[0].endswith("age_95_plus")
    assert len(pop) == 1 + 31
    row = dict(zip(pop[0].split(","), pop[1].split(",")))
    assert row["pc4"] == "1941"
    swv = (out / "onderwijs/swv_pc4.csv").read_text().splitlines()
    assert swv[0] == "pc4,gemeente,swv_po,swv_vo" and len(swv) == 1 + 31
    sc = json.loads((out / "onderwijs/schools.geojson").read_text())
    kinds = {f["properties"]["geocode"] for f in sc["features"]}
    assert {"adres", "postcode"} <= kinds  # one address was left out of the sample: PC6 centre used
    types = {f["properties"]["type"] for f in sc["features"]}
    assert "basisschool" in types and "(V)SO" in types and any("VWO" in t or "PRO" in t for t in types)


def test_fetch_build_load_chain(fetched, tmp_path):
    from regioindeling.data import load
    from regioindeling.data.build import build_dataset

    raw, _ = fetched
    rep = build_dataset(raw, tmp_path / "geo")
    ds = load(tmp_path / "geo")
    assert set(ds.gemeenten.gemeente) == {"GM0375", "GM0396", "GM0453"}
    assert list(ds.jeugdregios.jeugdregio) == ["JZ10"]
    assert len(ds.pc4) == 31
    assert len(ds.schools) > 40 and ds.schools.pupils.sum() > 10000
    assert rep.dropped_share == 0.0
    info = ds.info()
    ages = {s["role"]: s for s in info["sources"]}
    assert ages["gemeenten"]["age_days"] == 0 and ages["gemeenten"]["age_from"] == "fetched_at"
    assert ages["swv_pc4"]["reference_date"] == "2015-04-23"


def test_second_fetch_reuses_geocodes_and_replaces(server, fetched, cfg):
    out, _ = fetched
    before = server.hits.get("/bzk/locatieserver/search/v3_1/free", 0)
    rep = fetch_all(out, cfg)
    after = server.hits.get("/bzk/locatieserver/search/v3_1/free", 0)
    line = dict(rep.lines)["schools"]
    assert re.search(r"(\d+) addresses reused", line).group(1) != "0"
    assert after - before < 40  # only addresses without an exact BAG match are looked up again
    assert read_manifest(out)["schools"].sha256 == sha256_of(out / "onderwijs/schools.geojson")


# ---------------------------------------------------------------- failures leave the old directory intact


@pytest.mark.parametrize("path, fault, message", [
    ("/open_onderwijsdata/images/02.-alle-vestigingen-vo.csv", "500", "DUO alle vestigingen vo: failed after 2 "
     "attempts: HTTP 500"),
    ("/open_onderwijsdata/images/09.-alle-vestigingen-sbo-so-en-vso.csv", "html", "HTML page instead of data"),
    ("/open_onderwijsdata/images/06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv", "truncate",
     "file truncated or damaged"),
    ("/cbs/postcode4/ogc/v1/collections/postcode4/items", "cut", "truncated file"),
    ("/cbs/postcode4/ogc/v1/collections/postcode4/items", "truncate", "not valid JSON"),
    ("/bwb/BWBR0032324/2015-04-23_0/xml/BWBR0032324_2015-04-23_0.xml", "truncate", "truncated download"),
    ("/ODataApi/odata/83502NED/Leeftijd", "slow", "timed out"),
])
def test_failure_keeps_old_directory(server, fetched, cfg, path, fault, message):
    out, _ = fetched
    old = _snapshot(out)
    server.faults[path] = fault
    with pytest.raises(InputError) as err:
        fetch_all(out, cfg)
    line = err.value.line()
    assert message in line
    assert "\n" not in line and "127.0.0.1" in line  # one line naming the URL
    assert _snapshot(out) == old
    assert not list(out.parent.glob(".raw.fetch.*"))


def test_refuses_to_replace_a_folder_that_is_not_a_fetch(cfg, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a 'data fetch' output"):
        fetch_all(tmp_path / "mine", cfg)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_cli_fetch_then_build(server, tmp_path):
    from regioindeling.cli import main

    server.faults.clear()
    code = main(["data", "fetch", "--out", str(tmp_path / "raw"), "--mirror", server.base, "--timeout", "5",
                 "--build", str(tmp_path / "geo")])
    assert code == 0
    assert (tmp_path / "geo" / "dataset.json").is_file()
    raw_before, geo_before = _snapshot(tmp_path / "raw"), _snapshot(tmp_path / "geo")
    server.faults["/bwb/BWBR0032324/"] = "500"
    code = main(["data", "fetch", "--out", str(tmp_path / "raw"), "--mirror", server.base, "--timeout", "1",
                 "--retries", "1", "--build", str(tmp_path / "geo")])
    assert code == 2
    assert _snapshot(tmp_path / "raw") == raw_before and _snapshot(tmp_path / "geo") == geo_before


# ---------------------------------------------------------------- parsers


def test_samples_stay_small():
    assert sum(p.stat().st_size for p in SAMPLES.iterdir() if p.is_file()) < 1_000_000


def test_source_age_counts_from_fetch_or_described_date():
    import datetime as dt

    from regioindeling.data import source_age

    today = dt.date(2026, 11, 23)
    assert source_age({"fetched_at": "2026-11-20T10:00:00+00:00", "reference_date": "2025"}, today) == \
        {"age_days": 3, "age_from": "fetched_at"}
    assert source_age({"fetched_at": "", "reference_date": "2025"}, today)["age_days"] == 691
    assert source_age({"reference_date": "2015-04-23"}, today)["age_days"] == 4232
    assert source_age({"reference_date": "unknown"}, today) == {"age_days": None, "age_from": ""}


def test_age_columns_from_cbs_titles():
    assert age_column("0 tot 5 jaar") == "age_0_4"
    assert age_column("15 tot 20 jaar") == "age_15_19"
    assert age_column("95 jaar of ouder") == "age_95_plus"
    assert age_column("0 tot 15 jaar") is None and age_column("Totaal") is None


def test_annex_rows_from_html_table():
    html = ("<html><body><table><tr><th>Postcode</th><th>Gemeente</th><th>PO</th><th>VO</th></tr>"
            "<tr><td>1941</td><td>Beverwijk</td><td>PO 2704</td><td>VO2705</td></tr>"
            "<tr><td>3197</td><td>Rotterdam</td><td>Europoort</td><td>Europoort</td></tr></table></body></html>")
    assert annex_rows(html, "x") == [("1941", "Beverwijk", "PO2704", "VO2705"),
                                     ("3197", "Rotterdam", "Europoort", "Europoort")]
    with pytest.raises(InputError, match="SWV codes"):
        annex_rows(html.replace("VO2705", "2705"), "x")


def test_a_few_unlocatable_sites_are_listed_many_stop_the_fetch():
    from regioindeling.data.fetch.geocode import Located
    from regioindeling.data.fetch.schools import SchoolsReport, Site, build_geojson, check_located

    def site(code, pc):
        return Site(code, code[:4], f"school {code}", "basisschool", "Dorpsstraat", "1", pc, "X", "X",
                    parse_address(pc, "1"))

    sites = [site(f"00AA{i:02d}", "1941AB") for i in range(99)] + [site("00ZZ00", "9999ZZ")]
    located = {"1941AB 1": Located(4.65, 52.48, "adres")}
    rep = SchoolsReport()
    doc = build_geojson(sites, {}, located, {}, rep)
    assert len(doc["features"]) == 99 and rep.not_located == ["00ZZ00 school 00ZZ00 (9999ZZ 1)"]
    with pytest.raises(InputError, match="1 of 100 school sites could not be located"):
        check_located(rep, "ls")  # 1 % > 0.5 %
    rep.sites = 999
    check_located(rep, "ls")  # 0.1 %: listed in the fetch summary, not fatal


def test_parse_duo_house_numbers():
    a = parse_address("1941 AB", "12-A")
    assert (a.postcode, a.number, a.addition) == ("1941AB", 12, "A")
    assert parse_address("1941AB", "7").addition == ""
    assert parse_address("", "7") is None


def test_source_overrides_are_checked():
    from regioindeling.data.fetch import DEFAULT_URLS, parse_source_overrides

    cfg = FetchConfig().with_urls(parse_source_overrides(["duo_vo=https://example.org/vo.csv"]))
    assert cfg.url("duo_vo") == "https://example.org/vo.csv" and cfg.url("duo_bao") == DEFAULT_URLS["duo_bao"]
    with pytest.raises(InputError, match="unknown source name 'duo_xx'"):
        FetchConfig().with_urls({"duo_xx": "https://example.org"})
    with pytest.raises(InputError, match="is not NAME=URL"):
        parse_source_overrides(["duo_vo"])
    assert FetchConfig().rebased("http://127.0.0.1:8000").url("bwb_regeling") == \
        "http://127.0.0.1:8000/bwb/BWBR0032324/"
