"""Processes of the local test cluster: start them marked, find them again from any shell, stop them.

Every process the cluster starts (kwokctl's components included, which inherit the environment) carries
MARKER=<absolute .cluster path> in its environment, so `down` finds all of them by reading /proc, even when a
previous `up` ran in another shell and its pid files are gone. Nothing here kills a process without that mark.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from env import HERE, Paths

MARKER = "OLM_GATHER_CLUSTER"


def marked_env(state_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a cluster process: ours plus the marker (and never the user's kubeconfig)."""
    env = {**os.environ, MARKER: str(state_dir.resolve())}
    env.pop("KUBECONFIG", None)
    env.update(extra or {})
    return env


def ours(state_dir: Path) -> dict[int, str]:
    """pid -> command line of every live process marked with this state folder."""
    needle = f"{MARKER}={state_dir.resolve()}".encode() + b"\0"
    found: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if needle not in (proc / "environ").read_bytes() + b"\0":
                continue
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            status = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if status != "Z":
            found[int(proc.name)] = cmdline
    return found


def stop_all(state_dir: Path, *, grace: float = 10.0) -> dict[int, str]:
    """SIGTERM every marked process, SIGKILL what is left after `grace` seconds; returns what still runs."""
    for pid in ours(state_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while (left := ours(state_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    return ours(state_dir)


def start(args: list[str], *, state_dir: Path, log: Path, env: dict[str, str] | None = None) -> int:
    """Starts a detached, marked process (its own session, so it outlives this shell); returns its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=marked_env(state_dir, env),
            start_new_session=True,
        )
    return proc.pid


def alive(pid: int, state_dir: Path) -> bool:
    return pid in ours(state_dir)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Services:
    """Our long-running host processes by name, their pids kept in state.json."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def pid(self, name: str) -> int | None:
        pid = self.paths.read_state().get("pids", {}).get(name)
        return int(pid) if pid else None

    def running(self, name: str) -> bool:
        pid = self.pid(name)
        return pid is not None and alive(pid, self.paths.root)

    def stop(self, name: str) -> None:
        pid = self.pid(name)
        if pid is None or not alive(pid, self.paths.root):
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)  # its own session: the group holds what it started
        deadline = time.monotonic() + 10
        while alive(pid, self.paths.root) and time.monotonic() < deadline:
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None, *, restart: bool = False) -> None:
        """Starts `name`; with `restart`, under supervise.py, which restarts it and writes <name>.cri.log."""
        if restart:
            cri = self.paths.logs / f"{name}.cri.log"
            args = [sys.executable, str(HERE / "supervise.py"), str(cri), "--", *args]
        pid = start(args, state_dir=self.paths.root, log=self.paths.logs / f"{name}.log", env=env)
        self.paths.write_state(pids={**self.paths.read_state().get("pids", {}), name: pid})
