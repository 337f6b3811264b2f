"""Named scenarios on disk: the scenario TOML and, once solved, the proposal GeoJSON.

Layout: ``<root>/<name>/scenario.toml`` and ``<root>/<name>/proposal.geojson``. A save writes both files into a
staging directory (each fsynced) and swaps it into place, so a crash leaves either the previous version or the
new one, never a mix. Writers hold an exclusive lock on ``<root>/.lock`` and readers a shared one, so a reader in
another session never sees half of a swap either. Names are reduced to a safe slug, so no name can point outside
the store (and no slug is a name Windows reserves, in case the folder is shared).
The root is ``$REGIOINDELING_STORE`` if set, else ``scenarios/user`` in the project.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
import tomllib
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from regioindeling.atomic import _fsync_dir, replace_dir
from regioindeling.errors import InputError
from regioindeling.paths import PROJECT_ROOT
from regioindeling.scenario import Scenario, scenario_from_dict, scenario_to_toml

SCENARIO_FILE = "scenario.toml"
PROPOSAL_FILE = "proposal.geojson"
MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                               *(f"LPT{i}" for i in range(1, 10))})


def default_root() -> Path:
    env = os.environ.get("REGIOINDELING_STORE")
    return Path(env) if env else PROJECT_ROOT / "scenarios" / "user"


def sanitise_name(name: str) -> str:
    """A store-safe slug of ``name``: ASCII letters, digits, ``-``, ``_`` and inner dots, at most 64 chars.

    Raises :class:`InputError` when nothing usable is left (e.g. ``"../"`` or an empty name).
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    slug = _UNSAFE.sub("-", text.strip())
    slug = re.sub(r"\.{2,}", ".", slug).strip("-._")[:MAX_NAME].strip("-._")
    if not slug:
        shown = repr(str(name)[:40])  # repr: a name with a newline or NUL must not break the one-line message
        raise InputError("scenario name", f"{shown} has no usable characters",
                         "use letters, digits, '-' or '_' (e.g. noord-35km)", field="name")
    if slug.split(".")[0].upper() in _WINDOWS_RESERVED:
        slug = "_" + slug
    return slug


@dataclass(frozen=True)
class StoredScenario:
    name: str
    scenario: Scenario
    proposal_geojson: bytes | None


@dataclass(frozen=True)
class StoreEntry:
    name: str
    description: str
    has_proposal: bool
    modified: float  # seconds since the epoch (for display only)


class ScenarioStore:
    """Save, list, open, duplicate and delete named scenarios under ``root``."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    # ------------------------------------------------------------------ internals

    def _dir(self, name: str) -> Path:
        slug = sanitise_name(name)
        path = (self.root / slug).resolve()
        if path.parent != self.root.resolve():  # belt and braces: the slug cannot escape, but check anyway
            raise InputError("scenario name", f"'{name}' points outside the store", "use a plain name", field="name")
        return path

    @contextmanager
    def _locked(self, shared: bool = False):
        """One writer at a time and no reader during a write (several app sessions share the store)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _recover(self, path: Path) -> None:
        """Finish a swap a crash interrupted: the previous version sits in ``.<name>.old``. Call under the lock."""
        old = path.with_name(f".{path.name}.old")
        if not path.exists() and old.is_dir():
            try:
                os.replace(old, path)
            except FileNotFoundError:  # another reader (shared lock) recovered it first
                return
            _fsync_dir(path.parent)

    def _tidy(self) -> None:
        """Under the exclusive lock: finish interrupted swaps and remove what killed saves and deletes left behind
        (no other save or delete can be under way, so every staging or trash directory is stale)."""
        for p in sorted(self.root.iterdir()):
            if not p.name.startswith(".") or not p.is_dir():
                continue
            if p.name.endswith((".staging", ".trash")):
                shutil.rmtree(p, ignore_errors=True)
            elif p.name.endswith(".old"):
                target = p.with_name(p.name[1:-4])
                if target.exists():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    self._recover(target)

    def _write_dir(self, path: Path, files: dict[str, bytes]) -> None:
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".staging", dir=self.root))
        try:
            for fname, data in sorted(files.items()):
                with open(staging / fname, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            _fsync_dir(staging)
            replace_dir(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    # ------------------------------------------------------------------ API

    def save(self, name: str, scenario: Scenario, proposal_geojson: bytes | None = None) -> str:
        """Store ``scenario`` (and its proposal) under ``name``, replacing any earlier version; returns the slug."""
        path = self._dir(name)
        files = {SCENARIO_FILE: scenario_to_toml(scenario).encode("utf-8")}
        if proposal_geojson is not None:
            files[PROPOSAL_FILE] = bytes(proposal_geojson)
        with self._locked():
            self._tidy()  # first: a previous version left in .<name>.old by a crash must not be thrown away
            self._write_dir(path, files)
        return path.name

    def list(self) -> list[StoreEntry]:
        if not self.root.is_dir():
            return []
        out = []
        with self._locked(shared=True):
            for old in sorted(self.root.glob(".*.old")):
                self._recover(self.root / old.name[1:-4])
            for path in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
                toml = path / SCENARIO_FILE
                if not toml.is_file():
                    continue
                try:
                    desc = str(tomllib.loads(toml.read_text("utf-8")).get("description", ""))
                except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                    desc = "(unreadable scenario file)"
                out.append(StoreEntry(path.name, desc, (path / PROPOSAL_FILE).is_file(), toml.stat().st_mtime))
        return out

    def names(self) -> list[str]:
        return [e.name for e in self.list()]

    def exists(self, name: str) -> bool:
        path = self._dir(name)
        if not self.root.is_dir():
            return False
        with self._locked(shared=True):
            self._recover(path)
            return (path / SCENARIO_FILE).is_file()

    def open(self, name: str) -> StoredScenario:
        path = self._dir(name)
        toml, prop = path / SCENARIO_FILE, path / PROPOSAL_FILE
        missing = InputError(f"scenario store {self.root}", f"no scenario named '{path.name}'",
                             "pick one of the saved scenarios", field="name")
        if not self.root.is_dir():
            raise missing
        with self._locked(shared=True):  # both files from one save, never half of a swap
            self._recover(path)
            if not toml.is_file():
                raise missing
            text = toml.read_bytes()
            proposal = prop.read_bytes() if prop.is_file() else None
        try:
            data = tomllib.loads(text.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(toml, f"invalid TOML ({exc})", "save the scenario again or delete it") from None
        return StoredScenario(path.name, scenario_from_dict(data, str(toml)), proposal)

    def duplicate(self, source: str, target: str) -> str:
        """Copy scenario ``source`` to the new name ``target`` (refused if ``target`` exists)."""
        stored = self.open(source)
        if self.exists(target):
            raise InputError("scenario name", f"a scenario named '{sanitise_name(target)}' already exists",
                             "choose another name or delete that scenario first", field="name")
        scenario = stored.scenario.model_copy(update={"name": sanitise_name(target)})
        return self.save(target, scenario, stored.proposal_geojson)

    def delete(self, name: str) -> None:
        path = self._dir(name)
        with self._locked():
            self._tidy()
            if not path.is_dir():
                raise InputError(f"scenario store {self.root}", f"no scenario named '{path.name}'",
                                 "pick one of the saved scenarios", field="name")
            # Rename first so a crash mid-delete never leaves a half-deleted scenario visible.
            trash = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".trash", dir=self.root))
            os.replace(path, trash / "x")
            _fsync_dir(self.root)
            shutil.rmtree(trash, ignore_errors=True)
