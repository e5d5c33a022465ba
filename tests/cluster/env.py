"""Where the local test cluster keeps things, which binaries it runs, and a small kubectl wrapper.

Owns the layout of `.cluster/` (git-ignored, at the repo root) and the lookups into the pinned Go modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


class ClusterError(Exception):
    """A one-line error for the user: what failed and what to do."""


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def kwok_workdir(self) -> Path:
        return self.root / "kwok"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def read_state(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.state.read_text()))
        except (OSError, ValueError):
            return {}

    def write_state(self, **changes: Any) -> dict[str, Any]:
        state = {**self.read_state(), **changes}
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.state)
        return state


def default_paths() -> Paths:
    return Paths(Path(os.environ.get("OLM_GATHER_CLUSTER_DIR", REPO / ".cluster")).resolve())


def versions() -> dict[str, str]:
    """The pins of tests/cluster/versions.env."""
    pins: dict[str, str] = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            pins[key.strip()] = value.strip()
    return pins


def go_env() -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}


def bin_dir(component: str) -> Path:
    """The cached bin folder of a component of build.sh, building it first when missing (slow only when cold)."""
    proc = subprocess.run(
        ["bash", str(HERE / "build.sh"), "--bin", component],
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise ClusterError(f"building {component} failed (see the output above); fix it, then run `make cluster` again")
    return Path(proc.stdout.strip().splitlines()[-1])


def module_dir(component: str, module: str, version: str) -> Path:
    """The source folder of a pinned Go module in the module cache (downloaded through the proxy if missing)."""
    proc = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        cwd=HERE / component,
        env=go_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return Path(json.loads(proc.stdout)["Dir"])
    except (ValueError, KeyError):
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ClusterError(f"go mod download {module}@{version} failed: {detail[0]}") from None


class Kubectl:
    """kubectl (the pinned one we build) against the cluster's kubeconfig."""

    def __init__(self, binary: Path, kubeconfig: Path) -> None:
        self.binary = binary
        self.kubeconfig = kubeconfig

    def run(self, *args: str, stdin: str | None = None, check: bool = True, timeout: float = 60) -> str:
        cmd = [str(self.binary), "--kubeconfig", str(self.kubeconfig), *args]
        try:
            proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"kubectl {' '.join(args)} timed out after {timeout:.0f}s") from None
        if check and proc.returncode != 0:
            err = proc.stderr.strip().replace("\n", " | ")
            raise ClusterError(f"kubectl {' '.join(args[:3])} failed: {err}")
        return proc.stdout

    def ok(self, *args: str, timeout: float = 5) -> bool:
        try:
            self.run(*args, timeout=timeout)
        except ClusterError:
            return False
        return True

    def apply(self, docs: list[dict[str, Any]], *, server_side: bool = False) -> None:
        args = ["apply", "-f", "-"]
        if server_side:
            args += ["--server-side", "--force-conflicts", "--field-manager=olm-gather-test-cluster"]
        self.run(*args, stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))

    def get(self, *args: str) -> dict[str, Any]:
        return dict(json.loads(self.run("get", "-o", "json", *args)))
