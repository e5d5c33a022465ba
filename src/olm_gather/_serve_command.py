"""The `olm-gather serve` command: serves a gathered tree to kubectl on loopback until interrupted.

It prints the address and writes a kubeconfig pointing at it (to `--write-kubeconfig`, or a temporary file it
removes on exit). Any address other than loopback must be asked for and is warned about: the tree holds a
cluster's objects and the server has no authentication.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import signal
import sys
import tempfile

from aiohttp import web

from olm_gather import _errors, _flags, _serve, _yaml
from olm_gather._analyze import _tree

_NAME = "olm-gather-serve"


def parser() -> argparse.ArgumentParser:
    """The flags of `olm-gather serve` (shell completion reads them too)."""
    parser = _flags.Parser(
        prog="olm-gather serve",
        description="Serve a gathered must-gather directory or .tar.gz (olm-gather's or oc adm inspect's) "
        "read-only to kubectl: get, list, describe, logs; every write is refused.",
        epilog="example:\n  olm-gather serve must-gather.local.1 --write-kubeconfig kc\n"
        "  KUBECONFIG=kc kubectl get subscriptions,csv,installplans -A",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("tree", help="a must-gather directory or .tar.gz")
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default 0: any free port)")
    parser.add_argument(
        "--write-kubeconfig",
        default="",
        metavar="FILE",
        help="write the kubeconfig here (default: a temporary file, removed on exit)",
    )
    return parser


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if not os.path.exists(args.tree):
        raise _errors.ConfigError(f"{args.tree} does not exist: give a must-gather directory or .tar.gz")
    if not _is_loopback(args.address):
        print(
            f"warning: serving on {args.address}, not loopback: anyone who reaches it reads the tree, "
            "with no authentication",
            file=sys.stderr,
        )
    index = _serve.Index(_tree.open_tree(args.tree), warn=lambda message: print(f"warning: {message}", file=sys.stderr))
    asyncio.run(_serve_until_stopped(index, address=args.address, port=args.port, kubeconfig=args.write_kubeconfig))
    return 0


def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def kubeconfig(server: str) -> bytes:
    """A kubeconfig with one cluster, context and (credential-less) user, pointing at server."""
    return _yaml.dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": _NAME, "cluster": {"server": server}}],
            "users": [{"name": _NAME, "user": {}}],
            "contexts": [{"name": _NAME, "context": {"cluster": _NAME, "user": _NAME}}],
            "current-context": _NAME,
        }
    )


async def _serve_until_stopped(index: _serve.Index, *, address: str, port: int, kubeconfig: str) -> None:
    runner = web.AppRunner(_serve.application(index), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, address, port).start()
        host, bound = runner.addresses[0][:2]
        server = f"http://[{host}]:{bound}" if ":" in host else f"http://{host}:{bound}"
        path, temporary = _write_kubeconfig(kubeconfig, server)
        try:
            print(f"serving {index.source} read-only at {server}", flush=True)
            print(f"kubeconfig: {path}", flush=True)
            print(f"  KUBECONFIG={path} kubectl get subscriptions,csv,installplans -A", flush=True)
            await _stopped()
        finally:
            if temporary:
                with contextlib.suppress(OSError):
                    os.unlink(path)
    finally:
        await runner.cleanup()


def _write_kubeconfig(path: str, server: str) -> tuple[str, bool]:
    data = kubeconfig(server)
    if path:
        with open(path, "wb") as f:
            f.write(data)
        return path, False
    fd, temp = tempfile.mkstemp(prefix="olm-gather-serve-", suffix=".kubeconfig")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return temp, True


async def _stopped() -> None:
    """Returns on SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
