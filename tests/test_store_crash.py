"""The scenario store under abuse: a writer killed with SIGKILL mid-save, readers racing a writer, hostile names.

A save is acknowledged by the child process only after ``ScenarioStore.save`` returned, so after a kill the stored
version must be the last acknowledged one or the one being written, complete: its scenario TOML and its proposal
come from the same save. A second scenario that nobody writes must never change.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import regioindeling.atomic as atomic
from regioindeling.errors import InputError
from regioindeling.scenario import Scenario
from regioindeling.store import ScenarioStore, sanitise_name

ROOT = Path(__file__).resolve().parent.parent

# The child's version k: a scenario whose description and ~2,000 pins carry k, and a ~6 MB proposal made of k.
_VERSION = textwrap.dedent("""
    from regioindeling.scenario import scenario_from_dict

    def version(k):
        pins = {f"{1000 + i}": f"v{k}-{i % 40}" for i in range(2000)}
        sc = scenario_from_dict({"name": "plan", "description": f"v{k}", "locks": {"pin": pins},
                                 "units": {"keep_whole": [f"GM{i:04d}" for i in range(400)]}})
        return sc, (f"v{k};".encode() * 1_000_000)
""")

_WRITER = _VERSION + textwrap.dedent("""
    import sys
    from regioindeling.store import ScenarioStore

    store = ScenarioStore(sys.argv[1])
    k = int(sys.argv[2])
    print("ready", flush=True)
    while True:
        k += 1
        store.save("plan", *version(k))
        print(f"saved {k}", flush=True)
""")

ns: dict = {}
exec(_VERSION, ns)
version = ns["version"]


def stored_version(store: ScenarioStore, name: str = "plan") -> int:
    """The version number of a stored scenario, after checking that all its parts come from that one save."""
    got = store.open(name)
    k = int(got.scenario.description.removeprefix("v"))
    sc, proposal = version(k)
    assert got.scenario == sc, f"scenario of version {k} is not whole"
    assert got.proposal_geojson == proposal, f"proposal of version {k} is missing, partial or from another save"
    return k


class Writer:
    """The child process saving versions start+1, start+2, ... until killed; ``acked`` lists finished saves."""

    def __init__(self, root: Path, start: int) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(root), str(start)], cwd=ROOT,
                                     stdout=subprocess.PIPE, text=True)
        self.acked: list[int] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("ready"):
                self.ready.set()
            elif line.startswith("saved "):
                self.acked.append(int(line.split()[1]))
        self.ready.set()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join(10)
        self.proc.stdout.close()


def test_sigkill_mid_save_keeps_a_whole_version(tmp_path):
    store = ScenarioStore(tmp_path / "store")
    other = Scenario(name="other", description="never written again")
    store.save("other", other, b'{"type": "FeatureCollection", "features": []}')
    store.save("plan", *version(0))
    rng = random.Random(20240611)
    current, rounds, interrupted = 0, 12, 0
    for _ in range(rounds):
        w = Writer(store.root, current)
        try:
            assert w.ready.wait(60), "writer did not start"
            time.sleep(rng.uniform(0.05, 0.8))
        finally:
            w.kill()
        last = w.acked[-1] if w.acked else current
        interrupted += any(p.name.startswith(".plan.") for p in store.root.iterdir())
        # the store is readable: every entry opens
        names = [e.name for e in store.list()]
        assert names == ["other", "plan"]
        for n in names:
            store.open(n)
        got = stored_version(store)
        assert got in (last, last + 1), f"stored v{got}, last acknowledged v{last}"
        assert store.open("other").scenario == other
        current = got
    assert current > 0, "the writer never completed a save"
    print(f"{rounds} kills, {interrupted} in the middle of a save, last version v{current}")
    assert interrupted >= 1, "no kill landed in the middle of a save"
    # a later save cleans up what the killed saves left behind
    store.save("plan", *version(current + 1))
    assert stored_version(store) == current + 1
    assert sorted(p.name for p in store.root.iterdir()) == [".lock", "other", "plan"]


_READER = _VERSION + textwrap.dedent("""
    import sys, time
    from regioindeling.store import ScenarioStore

    store = ScenarioStore(sys.argv[1])
    end = time.time() + float(sys.argv[2])
    seen = set()
    while time.time() < end:
        got = store.open("plan")
        k = int(got.scenario.description.removeprefix("v"))
        sc, proposal = version(k)
        assert got.scenario == sc and got.proposal_geojson == proposal, f"mixed or partial version {k}"
        assert [e.name for e in store.list()] == ["plan"]
        seen.add(k)
    print(len(seen), flush=True)
""")


def test_readers_never_see_a_mix_while_a_writer_saves(tmp_path):
    """Two app sessions: one saves over and over, the other keeps opening the same scenario."""
    store = ScenarioStore(tmp_path / "store")
    store.save("plan", *version(0))
    w = Writer(store.root, 0)
    try:
        assert w.ready.wait(60)
        reader = subprocess.run([sys.executable, "-c", _READER, str(store.root), "4"], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
    finally:
        w.kill()
    assert reader.returncode == 0, reader.stderr[-3000:]
    assert len(w.acked) >= 2, "the writer saved too little to race the reader"
    assert int(reader.stdout) >= 2, "the reader saw only one version: no race happened"


def test_interrupted_swap_survives_the_next_save(tmp_path):
    """A kill between the swap's two renames leaves only ``.plan.old``; the next save must not delete it before
    the new version is in place (a second kill would then lose both)."""
    store = ScenarioStore(tmp_path / "store")
    store.save("plan", *version(1))
    os.replace(store.root / "plan", store.root / ".plan.old")
    real_rmtree = shutil.rmtree

    def no_rmtree_of_the_only_copy(path, *a, **k):
        if Path(path).name == ".plan.old":
            assert (store.root / "plan").is_dir(), "the only whole copy was deleted before the new one was in place"
        return real_rmtree(path, *a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(atomic.shutil, "rmtree", no_rmtree_of_the_only_copy)
        store.save("plan", *version(2))
    assert stored_version(store) == 2


# ---------------------------------------------------------------------------------------------- names

HOSTILE = [
    "../x", "../../x", "/etc/passwd", "a/../../b", "a/b/c", "..\\..\\windows\\system32", "C:\\Windows\\x",
    "\\\\server\\share\\x", "~", "~/x", "$HOME", "x\x00y", "\x00", "x" * 10_000, "é" * 300, ".", "..", "...",
    ".hidden", "-rf", "plan\n", "\r\n", "CON", "con", "nul.txt", "COM1", "LPT9", "aux", "PRN.toml", "name:stream",
    "a*b?c", "<tag>", "|pipe|", "a\tb", "😀", "\u202eevil", "   ", "",
]
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@pytest.mark.parametrize("name", HOSTILE, ids=[repr(n)[:30] for n in HOSTILE])
def test_hostile_names_stay_inside_the_store(tmp_path, name):
    store = ScenarioStore(tmp_path / "root" / "store")
    before = set((tmp_path).rglob("*"))
    try:
        slug = store.save(name, Scenario(description="x"), b"{}")
    except InputError as exc:
        assert exc.field == "name" and "fix:" in exc.line() and "\n" not in exc.line()
        assert not any(p.is_dir() and not p.name.startswith(".") for p in store.root.glob("*"))
        return
    assert slug == sanitise_name(name)
    assert 0 < len(slug) <= 64 and "/" not in slug and "\\" not in slug and "\x00" not in slug
    assert not slug.startswith(".") and slug.isascii() and slug.isprintable()
    assert slug.split(".")[0].upper() not in WINDOWS_RESERVED
    new = set(tmp_path.rglob("*")) - before
    root = store.root.resolve()
    assert all(p.resolve() == root or root in p.resolve().parents for p in new if p != store.root.parent), new
    assert store.names() == [slug] and store.open(name).scenario.description == "x"
    store.delete(name)
    assert store.names() == []


def test_symlink_in_the_store_does_not_lead_outside(tmp_path):
    store = ScenarioStore(tmp_path / "store")
    store.root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InputError, match="outside the store"):
        store.save("link", Scenario())
    assert list(outside.iterdir()) == []
