"""The per-gemeente HTML report: self-contained, the key text present, rendered in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixtures_small import small_dataset
from regioindeling.baselines import naive_merge
from regioindeling.errors import InputError
from regioindeling.evaluate import evaluate
from regioindeling.model import Proposal
from regioindeling.report import gemeente_report

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def small():
    return small_dataset()


def test_small_report_text_and_self_contained(small):
    p = Proposal({"GM0001": "A", "1004": "A", "1005": "B", "1006": "B"}, name="testvoorstel")
    ev = evaluate(small, p)
    page = gemeente_report(small, p, ev, "GM0002")
    assert "Regio-indeling passend onderwijs: Tweestad" in page
    # today: PO0001 (1004) and PO0002, VO0001 -> 3 OOGO partners; proposed: A and B -> 2, gemeente split
    assert "<b>3</b> partners" in page and "<b>2</b> OOGO-partners" in page
    assert "Gemeente verdeeld" in page and "1005, 1006" in page
    assert page.count("<svg") == 3 and "@media print" in page and "size: A4" in page
    assert not re.search(r"<script|<link|src=|https?://(?!www\.w3\.org/2000/svg)", page)  # nothing external
    assert gemeente_report(small, p, ev, "GM0002") == page  # deterministic
    with pytest.raises(InputError, match="unknown gemeente"):
        gemeente_report(small, p, ev, "GM9999")
    only_a = Proposal({"GM0001": "A"})
    with pytest.raises(InputError, match="assigns no unit of GM0002"):
        gemeente_report(small, only_a, evaluate(small, only_a), "GM0002")


@pytest.fixture(scope="module")
def amsterdam_html(tmp_path_factory):
    from regioindeling.data import load

    ds = load()
    p = naive_merge(ds)
    page = gemeente_report(ds, p, evaluate(ds, p), "GM0363")
    f = tmp_path_factory.mktemp("report") / "report.html"
    f.write_text(page, encoding="utf-8")
    return f


@pytest.mark.browser
def test_report_renders_in_chromium(amsterdam_html):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(amsterdam_html.as_uri())
            assert page.locator("h1").inner_text() == "Regio-indeling passend onderwijs: Amsterdam"
            summary = page.locator("#summary").inner_text()
            assert "PO2707" in summary and "VO2708" in summary and "Amsterdam-Amstelland" in summary
            assert page.locator("figure svg").count() == 3
            box = page.locator("figure svg").first.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 200  # the map really takes space
            assert page.locator("figure svg path").count() > 20
            assert "Kerncijfers voor Amsterdam" in page.locator("body").inner_text()
            assert [u for u in requests if not u.startswith("file:")] == []  # offline: no external request
            page.screenshot(path=str(ARTIFACTS / "report_GM0363_naive_merge.png"), full_page=True)
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4")
            assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        finally:
            browser.close()
    assert (ARTIFACTS / "report_GM0363_naive_merge.png").stat().st_size > 50_000
