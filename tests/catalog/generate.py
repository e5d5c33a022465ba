"""Write the test operators' file-based catalog into a directory: `python tests/catalog/generate.py <outdir>`.

The local cluster serves the result with `opm serve <outdir> -p <port>` as CatalogSource `olm-gather-test` in
namespace `olm`. Output is deterministic (same definitions, same bytes). Stdlib only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="directory to (re)write; must be empty or written by this command")
    args = parser.parse_args(argv)
    from catalog import fbc, packages

    try:
        fbc.write(args.outdir, packages.PACKAGES)
    except FileExistsError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Run as a script: make the package `catalog` (this folder) importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
