"""The app server entry point warms the shared caches, so the first page needs no dataset load or map build."""

from __future__ import annotations

from regioindeling.app import cache, serve


def test_warm_up_fills_the_caches_the_first_page_reads(monkeypatch, capsys):
    serve.warm()
    assert "caches warm" in capsys.readouterr().out
    ds = cache.dataset()

    def must_not_build(*args, **kwargs):
        raise AssertionError("the national map was built again instead of taken from the cache")

    monkeypatch.setattr(cache, "build_map", must_not_build)
    html = cache.today_map_html(ds.version, None, ds)
    assert "leaflet" in html.lower()
    assert cache.dataset() is ds
