"""Start the app server and warm its shared caches at once, so the first planner does not wait for them.

``streamlit run app.py`` runs the app script only when a browser connects, so the first page after a server start
would pay for loading the dataset and building the national map (~3 s). This entry point starts the same server
in this process and, beside it, fills the process-wide ``st.cache_resource`` caches the pages read.

Usage: ``python -m regioindeling.app.serve [streamlit options]`` (``make app`` does this).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def warm() -> None:
    """Build what the first page needs: the dataset, the national layers and today's national map."""
    import logging

    # Outside a script run Streamlit logs a "no runtime" warning per cached call; the caches still fill.
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    try:
        from regioindeling.app import cache

        ds = cache.dataset()
        cache.national_layers(ds.version, ds)
        cache.today_map_html(ds.version, None, ds)
    except Exception as exc:  # the page itself reports a broken dataset in plain words
        print(f"regioindeling: cache warm-up skipped ({type(exc).__name__}: {exc})", flush=True)
        return
    finally:
        logging.getLogger("streamlit").setLevel(logging.WARNING)
    print(f"regioindeling: caches warm in {time.perf_counter() - t0:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli as stcli

    args = sys.argv[1:] if argv is None else argv
    threading.Thread(target=warm, name="regioindeling-warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *args]
    sys.exit(stcli.main())


if __name__ == "__main__":
    main()
