"""Usage: python -S spawn.py REPORT COMMAND [ARG...]

Runs COMMAND (stdin, stdout, stderr and environment inherited), waits for it with os.wait4, and writes
`{"seconds": ..., "maxrss_kib": ..., "exit_code": ...}` to REPORT; exits 0 unless it could not start COMMAND.

Why bench/run.py measures through this small process rather than waiting for the tool itself: Linux charges a
process, when it execs, the peak RSS of the address space it leaves, and a child made by vfork or posix_spawn
(as subprocess does) leaves its parent's. Waited for from the benchmark (a Python process holding the kube
client and what it created), every tool would show at least the benchmark's own peak: `true` measures 300 MiB
from a 300 MiB parent. Started from here (python -S, ~8 MiB) the floor is this process's size.
"""

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    report, command = argv[0], argv[1:]
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "maxrss_kib": usage.ru_maxrss, "exit_code": os.waitstatus_to_exitcode(status)}
    with open(report, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
