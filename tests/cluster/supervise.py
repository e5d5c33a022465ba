"""Usage: supervise.py LOGFILE -- COMMAND [ARG...]

Runs COMMAND the way a kubelet runs a container with restartPolicy Always: when it exits it is started again
(after 1 s), and its stdout and stderr are appended to LOGFILE in the CRI log format (`<RFC3339Nano> <stream> F
<line>`), the format kwok serves as a container's log. OLM needs the restart: on its first start olm-operator
labels existing objects and then exits on purpose "to re-start the process". The log file is how
`kubectl logs -n olm -l app=olm-operator` shows the real log of the olm process running on the host.
SIGTERM/SIGINT stop COMMAND and this supervisor.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import IO

RESTART_DELAY = 1.0


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pump(stream: IO[bytes], name: str, out: IO[str], lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\r\n")
        with lock:
            out.write(f"{stamp()} {name} F {line}\n")
            out.flush()


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    logfile, command = argv[0], argv[2:]
    stopping = threading.Event()
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, _frame: object) -> None:
        stopping.set()
        if child is not None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lock = threading.Lock()
    code = 0
    with open(logfile, "a", encoding="utf-8") as out:
        while not stopping.is_set():
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert child.stdout is not None
            assert child.stderr is not None
            threads = [
                threading.Thread(target=pump, args=(child.stdout, "stdout", out, lock), daemon=True),
                threading.Thread(target=pump, args=(child.stderr, "stderr", out, lock), daemon=True),
            ]
            for t in threads:
                t.start()
            code = child.wait()
            for t in threads:
                t.join(timeout=5)
            if not stopping.is_set():
                print(f"{stamp()} supervise.py: {command[0]} exited with {code}; restarting", file=sys.stderr)
                stopping.wait(RESTART_DELAY)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
