"""``data fetch``: rebuild the raw inputs of ``data build`` from the official sources.

One small downloader per source (:mod:`.pdok`, :mod:`.cbs`, :mod:`.duo`, :mod:`.geocode`, :mod:`.regeling`),
a shared HTTP client with timeout, retries and one-line errors (:mod:`.http`), and the run that downloads into
a temporary directory, validates, writes ``manifest.json`` and swaps it in (:mod:`.run`).
"""

from regioindeling.data.fetch.config import DEFAULT_URLS, FetchConfig, parse_source_overrides
from regioindeling.data.fetch.http import HttpSettings
from regioindeling.data.fetch.run import ROLE_FILES, FetchReport, fetch_all

__all__ = ["DEFAULT_URLS", "FetchConfig", "FetchReport", "HttpSettings", "ROLE_FILES", "fetch_all",
           "parse_source_overrides"]
