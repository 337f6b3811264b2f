"""One small HTTP client for every downloader: timeout, retries with backoff, one-line errors.

Standard library only (urllib). Every failure becomes an :class:`~regioindeling.errors.InputError` that names the
source and the URL, so a planner sees e.g. ``https://api.pdok.nl/...: PDOK gemeenten: HTTP 503 ...; fix: ...``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from regioindeling.errors import InputError

USER_AGENT = "regioindeling-data-fetch/0.1 (+https://github.com/; planners refreshing open data)"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
FIX_NETWORK = "check the internet connection (or proxy) and run 'regioindeling data fetch' again"
FIX_SERVICE = ("the service is down or busy: try again later; if it persists, check the address on the publisher's "
               "site and pass it with --source")


@dataclass(frozen=True)
class HttpSettings:
    """Timeout per request (s), attempts per URL and the first backoff pause (s, doubled per retry)."""

    timeout: float = 60.0
    attempts: int = 4
    backoff: float = 2.0


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content_type: str
    body: bytes


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html") or b"<html" in head[:200]


class Http:
    """GET with retries. ``source`` is the human name used in error messages."""

    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        self.requests = 0  # for the fetch summary
        self.log: list[dict] = []  # url, sha256 and size of every successful download, in order (provenance)
        self._lock = threading.Lock()  # the geocoder calls get() from several threads

    def _fail(self, url: str, source: str, problem: str, fix: str = FIX_NETWORK) -> InputError:
        return InputError(url, f"{source}: {problem}", fix)

    def get(self, url: str, source: str, *, accept: str = "*/*", expect_html: bool = False) -> Response:
        """Fetch ``url``; retry network errors, timeouts, truncated bodies and 5xx/429.

        Raises InputError for a 4xx, for an HTML page where data was expected and when the attempts are used up.
        """
        s = self.settings
        last, fix = "no attempt made", FIX_NETWORK
        for attempt in range(max(1, s.attempts)):
            if attempt:
                time.sleep(s.backoff * (2 ** (attempt - 1)))
            req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": accept})
            with self._lock:
                self.requests += 1
            try:
                with urllib.request.urlopen(req, timeout=s.timeout) as resp:
                    body = resp.read()  # raises IncompleteRead when the body is shorter than Content-Length
                    status = resp.status
                    ctype = resp.headers.get("Content-Type", "")
            except urllib.error.HTTPError as exc:
                last, fix = f"HTTP {exc.code} {exc.reason}", FIX_SERVICE
                if exc.code in RETRY_STATUS:
                    continue
                fix = ("the file may have moved: look up its current address on the publisher's site and pass it "
                       "with --source") if exc.code in (404, 410) else FIX_NETWORK
                raise self._fail(url, source, last, fix) from None
            except http.client.IncompleteRead as exc:
                last, fix = f"download cut off after {len(exc.partial)} bytes (truncated file)", FIX_NETWORK
                continue
            except (TimeoutError, socket.timeout):
                last, fix = f"no answer within {s.timeout:g} s (timed out)", FIX_SERVICE
                continue
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    last, fix = f"no answer within {s.timeout:g} s (timed out)", FIX_SERVICE
                else:
                    last, fix = f"network error ({reason})", FIX_NETWORK
                continue
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                last, fix = f"network error ({type(exc).__name__}: {exc})", FIX_NETWORK
                continue
            if not expect_html and _looks_like_html(body) and "html" not in accept:
                # a portal's error or maintenance page served with status 200
                raise self._fail(url, source, "got an HTML page instead of data (error or maintenance page?)",
                                 "open the URL in a browser; if the file moved, pass its new address with --source")
            with self._lock:
                self.log.append({"url": url, "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)})
            return Response(url, status, ctype, body)
        raise self._fail(url, source, f"failed after {s.attempts} attempts: {last}", fix)

    def get_json(self, url: str, source: str, **kw) -> object:
        resp = self.get(url, source, accept="application/json, application/geo+json", **kw)
        return parse_json(resp.body, url, source)


def parse_json(body: bytes, url: str, source: str) -> object:
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(url, f"{source}: not valid JSON ({type(exc).__name__}: {str(exc)[:80]}); "
                         "truncated or wrong content", FIX_NETWORK) from None


def with_query(url: str, **params) -> str:
    """``url`` with ``params`` added to (or replacing those in) its query string."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items() if v is not None})
    # %20 rather than '+' for spaces: OData reads '+' in $filter literally
    encoded = urllib.parse.urlencode(query, safe=":/,$'", quote_via=urllib.parse.quote)
    return urllib.parse.urlunsplit(parts._replace(query=encoded))
