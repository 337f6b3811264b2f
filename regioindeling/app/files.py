"""Uploads and downloads: size and type limits, parsed as data only (JSON, CSV, TOML; never pickle or eval).

Every bad upload becomes one :class:`InputError` line naming the uploaded file.
"""

from __future__ import annotations

from pathlib import Path

from regioindeling.errors import InputError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PROPOSAL_TYPES = ("geojson", "json", "csv")
SCENARIO_TYPES = ("toml",)


def check_upload(name: str, data: bytes, allowed: tuple[str, ...]) -> str:
    """Refuse oversized, empty or wrongly typed uploads; returns the file's extension."""
    ext = Path(name).suffix.lower().lstrip(".")
    if ext not in allowed:
        raise InputError(name, f"file type '.{ext or '?'}' is not accepted",
                         f"upload a {' or '.join('.' + a for a in allowed)} file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(name, f"file is {len(data) / 2**20:.0f} MB, above the {MAX_UPLOAD_BYTES // 2**20} MB limit",
                         "upload a smaller file (a national GeoJSON proposal is a few MB)")
    if not data.strip():
        raise InputError(name, "file is empty", "upload a file with content")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 text has NUL bytes too: name the real problem
        raise InputError(name, "UTF-16 encoding, not UTF-8", "save the file as UTF-8 (in Excel: CSV UTF-8)")
    if b"\x00" in data[:4096]:
        raise InputError(name, "binary file, not UTF-8 text", f"upload a {' or '.join('.' + a for a in allowed)} text file")
    return ext


def read_proposal_upload(name: str, data: bytes, ds):
    """An uploaded GeoJSON or CSV proposal -> (Proposal, ImportReport) via the project's importer."""
    check_upload(name, data, PROPOSAL_TYPES)
    from regioindeling.importing import read_proposal_bytes

    return read_proposal_bytes(name, data, ds)


def read_scenario_upload(name: str, data: bytes):
    from regioindeling.scenario import scenario_from_bytes

    check_upload(name, data, SCENARIO_TYPES)
    return scenario_from_bytes(data, name)


def proposal_geojson_bytes(ds, proposal, evaluation) -> bytes:
    from regioindeling.export import geojson_text, proposal_to_geojson

    return geojson_text(proposal_to_geojson(ds, proposal, evaluation)).encode("utf-8")


def proposal_csv_bytes(proposal) -> bytes:
    from regioindeling.export import csv_text

    return csv_text(proposal).encode("utf-8")
