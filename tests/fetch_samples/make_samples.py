"""Regenerate the recorded samples in this folder from the reference copy in ../shared/data.

Region: jeugdregio JZ10 IJmond (gemeenten Beverwijk, Heemskerk, Velsen), its 31 PC4 areas and their schools.
Every value comes from the reference files; only the envelope of each API answer is written here, in the
format the real service uses (see README.md in this folder). Run from the project root:

    /work/main/.venv/bin/python tests/fetch_samples/make_samples.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pyproj import Transformer

from regioindeling.paths import raw_data_dir

HERE = Path(__file__).resolve().parent
RAW = raw_data_dir()
JZ = "JZ10"
GEMEENTEN = ("GM0375", "GM0396", "GM0453")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def dump(name: str, obj) -> None:
    (HERE / name).write_text(json.dumps(obj, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n",
                             encoding="utf-8")


def pdok_page(features, next_href=None):
    links = [{"rel": "self", "type": "application/geo+json", "title": "This document as GeoJSON",
              "href": "{BASE}/self"}]
    if next_href:
        links.append({"rel": "next", "type": "application/geo+json", "title": "Next page", "href": next_href})
    return {"type": "FeatureCollection", "timeStamp": "2026-11-23T12:00:00Z", "links": links, "features": features,
            "numberReturned": len(features)}


def regions() -> None:
    gm = json.loads((RAW / "geo/gemeente_2025_wgs84_DECODED.geojson").read_text())
    feats = []
    for f in gm["features"]:
        p = f["properties"]
        if p["statcode"] in GEMEENTEN:
            feats.append({"type": "Feature", "id": p["id"], "properties": {
                "jaarcode": 2025, "jrstatcode": p["jrstatcode"], "rubriek": p["rubriek"], "statcode": p["statcode"],
                "statnaam": p["statnaam"]}, "geometry": f["geometry"]})
    nxt = ("{BASE}/cbs/gebiedsindelingen/ogc/v1/collections/gemeente_gegeneraliseerd/items"
           "?cursor=Ag~~&f=json&jaarcode=2025&limit=1000")
    dump("pdok_gemeente_page1.json", pdok_page(feats[:2], nxt))
    dump("pdok_gemeente_page2.json", pdok_page(feats[2:]))
    jz = json.loads((RAW / "geo/jeugdregio_2025_wgs84_DECODED.geojson").read_text())
    feats = [{"type": "Feature", "id": f["properties"]["id"], "properties": {
        "jaarcode": 2025, "jrstatcode": f["properties"]["jrstatcode"], "rubriek": "jeugdregio",
        "statcode": f["properties"]["statcode"], "statnaam": f["properties"]["statnaam"]}, "geometry": f["geometry"]}
        for f in jz["features"] if f["properties"]["statcode"] == JZ]
    dump("pdok_jeugdregio.json", pdok_page(feats))


def pc4_codes() -> list[str]:
    rows = csv.DictReader(open(RAW / "geo/pc4_points_DERIVED.csv", encoding="utf-8"))
    return sorted(r["pc4"] for r in rows if r["jeugdregiocode_2025"] == JZ)


def postcode4(codes: list[str]) -> None:
    rd = json.loads((RAW / "geo/pc4_2020_polygons_rd.geojson").read_text())
    t = Transformer.from_crs(28992, 4326, always_xy=True)

    def conv(c):
        if isinstance(c[0], (int, float)):
            x, y = t.transform(c[0], c[1])
            return [round(x, 6), round(y, 6)]
        return [conv(p) for p in c]

    feats = []
    for f in rd["features"]:
        code = str(f["properties"]["pc4"]).zfill(4)
        if code in codes:
            feats.append({"type": "Feature", "id": len(feats) + 1, "properties": {
                "jaarcode": 2020, "postcode": code},
                "geometry": {"type": f["geometry"]["type"], "coordinates": conv(f["geometry"]["coordinates"])}})
    dump("pdok_postcode4.json", pdok_page(feats))


def population(codes: list[str]) -> None:
    rows = {r["pc4"]: r for r in csv.DictReader(open(RAW / "geo/pc4_population_by_age_2021.csv", encoding="utf-8"))}
    bands = [c for c in next(iter(rows.values())) if c.startswith("age_")]
    ages = [{"Key": "10000", "Title": "Totaal", "Description": None, "CategoryGroupID": None},
            {"Key": "70100", "Title": "0 tot 15 jaar", "Description": None, "CategoryGroupID": None}]
    keys = {}
    for i, b in enumerate(bands):
        lo = b.split("_")[1]
        title = f"{lo} jaar of ouder" if b.endswith("_plus") else f"{lo} tot {int(b.split('_')[2]) + 1} jaar"
        keys[b] = f"{71000 + 100 * i}"
        ages.append({"Key": keys[b], "Title": title, "Description": None, "CategoryGroupID": None})
    dump("cbs_Leeftijd.json", {"odata.metadata": "{BASE}/ODataApi/odata/83502NED/$metadata#Leeftijd", "value": ages})
    dump("cbs_Geslacht.json", {"odata.metadata": "{BASE}/ODataApi/odata/83502NED/$metadata#Geslacht", "value": [
        {"Key": "T001038", "Title": "Totaal mannen en vrouwen", "Description": None, "CategoryGroupID": None},
        {"Key": "3000   ", "Title": "Mannen", "Description": None, "CategoryGroupID": None},
        {"Key": "4000   ", "Title": "Vrouwen", "Description": None, "CategoryGroupID": None}]})
    dump("cbs_Perioden.json", {"odata.metadata": "{BASE}/ODataApi/odata/83502NED/$metadata#Perioden", "value": [
        {"Key": "2021JJ00", "Title": "2021", "Description": None, "Status": "Definitief"}]})
    pcs = [{"Key": "NL01    ", "Title": "Nederland", "Description": None, "CategoryGroupID": 1},
           {"Key": "PC3194  ", "Title": "194", "Description": None, "CategoryGroupID": 2}]
    pcs += [{"Key": f"PC{c}  ", "Title": c, "Description": None, "CategoryGroupID": 3} for c in codes if c in rows]
    dump("cbs_Postcode.json", {"odata.metadata": "{BASE}/ODataApi/odata/83502NED/$metadata#Postcode", "value": pcs})
    data = []
    for code in codes:
        r = rows.get(code)
        if r is None:
            continue
        for b in bands:
            v = r[b]
            data.append({"ID": len(data), "Geslacht": "T001038", "Leeftijd": keys[b], "Postcode": f"PC{code}  ",
                         "Perioden": "2021JJ00", "Bevolking_1": int(v) if v else None})
        if code == codes[0]:  # a PC3 total as the table has them, which the downloader must skip
            for b in bands:
                data.append({"ID": len(data), "Geslacht": "T001038", "Leeftijd": keys[b], "Postcode": "PC3194  ",
                             "Perioden": "2021JJ00", "Bevolking_1": 0})
    dump("cbs_TypedDataSet_rows.json", data)


def regeling(codes: list[str]) -> None:
    md = (RAW / "onderwijs/regeling_BWBR0032324_versie_2015-04-23.md").read_text(encoding="utf-8")
    rows = []
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] in codes:
            rows.append(cells)
    body = "\n".join(f'<row><entry colname="col1"><al>{a}</al></entry><entry colname="col2"><al>{b}</al></entry>'
                     f'<entry colname="col3"><al>{c}</al></entry><entry colname="col4"><al>{d}</al></entry></row>'
                     for a, b, c, d in rows)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<toestand bwb-id="BWBR0032324" inwerkingtreding="2015-04-23"><wetgeving soort="regeling"><intitule>Regeling regio-indeling samenwerkingsverbanden passend onderwijs PO en VO</intitule>
<regeling-tekst><artikel label="Artikel 1"><kop><label>Artikel</label><nr>1</nr><titel>Regio-indeling samenwerkingsverbanden PO</titel></kop><lid><al>De gebieden, bedoeld in 18a, derde lid, van de Wet op het primair onderwijs worden vastgesteld als aangegeven in de bijlage bij dit besluit.</al></lid></artikel></regeling-tekst>
<bijlage><kop><label>Bijlage</label></kop><table><tgroup cols="4"><colspec colname="col1"/><colspec colname="col2"/><colspec colname="col3"/><colspec colname="col4"/>
<thead><row><entry colname="col1"><al>Postcode</al></entry><entry colname="col2"><al>Gemeente</al></entry><entry colname="col3"><al>PO</al></entry><entry colname="col4"><al>VO</al></entry></row></thead>
<tbody>
{body}
</tbody></tgroup></table></bijlage></wetgeving></toestand>
"""
    (HERE / "bwb_BWBR0032324_2015-04-23_0.xml").write_text(xml, encoding="utf-8")
    manifest = """<?xml version="1.0" encoding="UTF-8"?>
<work label="BWBR0032324" _latestItem="2015-04-23_0/xml/BWBR0032324_2015-04-23_0.xml">
<expression label="2013-10-01_0"><metadata><datum_inwerkingtreding>2013-10-01</datum_inwerkingtreding></metadata><manifestation label="xml"/></expression>
<expression label="2015-04-23_0"><metadata><datum_inwerkingtreding>2015-04-23</datum_inwerkingtreding></metadata><manifestation label="xml"/></expression>
</work>
"""
    (HERE / "bwb_manifest.xml").write_text(manifest, encoding="utf-8")


def schools(codes: list[str]) -> None:
    edu = [r for r in csv.DictReader(open(RAW / "onderwijs/edugis_scholen_20241122_flattened.csv", encoding="utf-8"))
           if r["postcode"][:4] in codes]
    # bao: verbatim lines of DUO's file (Windows-1252, ';', CRLF)
    raw = (RAW / "onderwijs/duo_02_alle_schoolvestigingen_basisonderwijs.csv").read_bytes()
    lines = raw.split(b"\r\n")
    header = lines[0].decode("cp1252").split(";")
    ipc = header.index("POSTCODE")
    keep = [lines[0]] + [ln for ln in lines[1:] if ln and ln.decode("cp1252").split(";")[ipc][:4] in codes]
    (HERE / "duo_bao.csv").write_bytes(b"\r\n".join(keep) + b"\r\n")
    bao_codes = {ln.decode("cp1252").split(";")[header.index("VESTIGINGSCODE")] for ln in keep[1:]}
    # sbo/so/vso and vo: DUO's header (from the published files), values from the reference copy (edugis, which
    # was built from these DUO files on 2024-11-22); columns the reference copy lacks stay empty
    special_h = ("SOORT PRIMAIR ONDERWIJS;PROVINCIE;BEVOEGD GEZAG NUMMER;INSTELLINGSCODE;VESTIGINGSCODE;VESTIGINGSNAAM;"
                 "STRAATNAAM;HUISNUMMER-TOEVOEGING;POSTCODE;PLAATSNAAM;GEMEENTENUMMER;GEMEENTENAAM;DENOMINATIE;"
                 "TELEFOONNUMMER;INTERNETADRES;CLUSTER;ONDERWIJS;STRAATNAAM CORRESPONDENTIEADRES;"
                 "HUISNUMMER-TOEVOEGING CORRESPONDENTIEADRES;POSTCODE CORRESPONDENTIEADRES;"
                 "PLAATSNAAM CORRESPONDENTIEADRES;NODAAL GEBIED CODE;NODAAL GEBIED NAAM;RPA-GEBIED CODE;"
                 "RPA-GEBIED NAAM;WGR-GEBIED CODE;WGR-GEBIED NAAM;COROPGEBIED CODE;COROPGEBIED NAAM;"
                 "ONDERWIJSGEBIED CODE;ONDERWIJSGEBIED NAAM;RMC-REGIO CODE;RMC-REGIO NAAM;VAKANTIEREGIO").split(";")
    vo_h = ("PROVINCIE;BEVOEGD GEZAG NUMMER;INSTELLINGSCODE;VESTIGINGSCODE;VESTIGINGSNAAM;STRAATNAAM;"
            "HUISNUMMER-TOEVOEGING;POSTCODE;PLAATSNAAM;GEMEENTENUMMER;GEMEENTENAAM;DENOMINATIE;TELEFOONNUMMER;"
            "INTERNETADRES;ONDERWIJSSTRUCTUUR;STRAATNAAM CORRESPONDENTIEADRES;HUISNUMMER-TOEVOEGING "
            "CORRESPONDENTIEADRES;POSTCODE CORRESPONDENTIEADRES;PLAATSNAAM CORRESPONDENTIEADRES;NODAAL GEBIED CODE;"
            "NODAAL GEBIED NAAM;RPA-GEBIED CODE;RPA-GEBIED NAAM;WGR-GEBIED CODE;WGR-GEBIED NAAM;COROPGEBIED CODE;"
            "COROPGEBIED NAAM;ONDERWIJSGEBIED CODE;ONDERWIJSGEBIED NAAM;RMC-REGIO CODE;RMC-REGIO NAAM;"
            "VAKANTIEREGIO").split(";")

    def row(h, r, extra):
        nr = r["huisnummer"] + (f"-{(r['huisletter'] + r['huisnummertoevoeging']).strip()}"
                                if (r["huisletter"] + r["huisnummertoevoeging"]).strip() else "")
        pc = f"{r['postcode'][:4]} {r['postcode'][4:]}"
        vals = {"PROVINCIE": r["provincie"], "INSTELLINGSCODE": r["brin_nummer"],
                "VESTIGINGSCODE": r["vestigingscode"], "VESTIGINGSNAAM": r["naam"], "STRAATNAAM": r["straat"],
                "HUISNUMMER-TOEVOEGING": nr, "POSTCODE": pc, "PLAATSNAAM": r["plaats"].upper(),
                "GEMEENTENAAM": r["gemeente"], "DENOMINATIE": r["denominatie"], "INTERNETADRES": r["internetadres"],
                **extra}
        return ";".join(vals.get(c, "") for c in h)

    seen: set[str] = set()
    special, vo, vo_pupils = [], [], []
    for r in sorted(edu, key=lambda r: r["vestigingscode"]):
        if r["vestigingscode"] in seen:
            continue
        seen.add(r["vestigingscode"])
        if r["type"] in ("SBAO", "SO", "VSO", "(V)SO"):
            special.append(row(special_h, r, {"SOORT PRIMAIR ONDERWIJS": r["type"]}))
        elif r["type"] != "basisschool":
            vo.append(row(vo_h, r, {"ONDERWIJSSTRUCTUUR": r["type"]}))
            n = r["leerlingen"]
            vo_pupils.append(";".join(f'"{v}"' if i != 8 else v for i, v in enumerate(
                ["", r["brin_nummer"], r["vestigingscode"], r["naam"], r["plaats"].upper(), "", r["gemeente"],
                 r["provincie"], n, "0"])))
    (HERE / "duo_sbo_so_vso.csv").write_bytes(("\r\n".join([";".join(special_h), *special]) + "\r\n").encode("cp1252"))
    (HERE / "duo_vo.csv").write_bytes(("\r\n".join([";".join(vo_h), *vo]) + "\r\n").encode("cp1252"))
    vph = ('"BEVOEGD GEZAG NUMMER";"INSTELLINGSCODE";"VESTIGINGSCODE";"INSTELLINGSNAAM VESTIGING";"PLAATSNAAM";'
           '"GEMEENTENUMMER";"GEMEENTENAAM";"PROVINCIE";"AANTAL LEERLINGEN";"AANTAL VO LEERLINGEN UITBESTEED AAN VAVO"')
    (HERE / "duo_vo_pupils_2024.csv").write_bytes(("\r\n".join([vph, *vo_pupils]) + "\r\n").encode("cp1252"))
    # po pupils: verbatim lines of DUO's historical file for the sites above
    raw = (RAW / "onderwijs/duo_06_historisch_overzicht_aantal_leerlingen_per_schoolvestiging.csv").read_bytes()
    lines = raw.split(b"\r\n")
    wanted = bao_codes | {r["vestigingscode"] for r in edu}
    keep = [lines[0]] + [ln for ln in lines[1:] if ln and ln.split(b";")[1].decode() in wanted]
    (HERE / "duo_po_pupils.csv").write_bytes(b"\r\n".join(keep) + b"\r\n")
    # Locatieserver answers: the BAG address points of the reference copy, one doc per address and per PC6
    docs: dict[str, list] = {}
    pc6: dict[str, list] = {}
    for r in edu:
        key = f"{r['postcode']} {r['huisnummer']}"
        lon, lat = round(float(r["lon"]), 6), round(float(r["lat"]), 6)
        d = {"type": "adres", "weergavenaam": f"{r['straat']} {r['huisnummer']}{r['huisletter']}, {r['postcode']} "
             f"{r['plaats']}", "id": f"adr-{r['vestigingscode'].lower()}", "postcode": r["postcode"],
             "huisnummer": int(r["huisnummer"]), "centroide_ll": f"POINT({lon} {lat})"}
        if r["huisletter"]:
            d["huisletter"] = r["huisletter"]
        if r["huisnummertoevoeging"]:
            d["huisnummertoevoeging"] = r["huisnummertoevoeging"]
        docs.setdefault(key, []).append(d)
        pc6.setdefault(r["postcode"], [{"type": "postcode", "weergavenaam": r["postcode"], "id": f"pcd-{r['postcode']}",
                                        "postcode": r["postcode"], "centroide_ll": f"POINT({lon} {lat})"}])
    # leave one address out so the sample exercises the PC6 fallback
    first = sorted(docs)[0]
    docs.pop(first)
    dump("locatieserver_adres.json", dict(sorted(docs.items())))
    dump("locatieserver_postcode.json", dict(sorted(pc6.items())))


def main() -> None:
    codes = pc4_codes()
    regions()
    postcode4(codes)
    population(codes)
    regeling(codes)
    schools(codes)
    total = sum(p.stat().st_size for p in HERE.iterdir() if p.is_file())
    print(f"{len(codes)} PC4; samples {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
