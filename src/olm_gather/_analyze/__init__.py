"""Offline diagnosis of a gathered tree: why each OLM operator install did or did not work.

Works on a tree of files only (a directory, a `.tar.gz` or a map of path to bytes), so it runs on a
customer's tarball with no cluster, and on other tools' output in the same layout (`oc adm inspect -A olm`).
It never talks to a cluster, never writes files and never prints except through `render_terminal`.

    tree      = open_tree("must-gather.local.1/")           # or an archive, or {path: bytes}
    analysis  = analyze(tree)                                # Analysis: operators (rows) and findings
    render_terminal(analysis, rich.console.Console())        # or to_json(analysis)

Modules: `_tree` (reading), `_objects` (index of objects by group/plural/namespace/name), `_operator` (what
belongs to a Subscription), `_rules` (one function per failure stage), `_diagnose` (runs and orders them),
`_model` (results), `_render` (terminal and JSON). The HTML report is `olm_gather._report`.
"""

from __future__ import annotations

from olm_gather._analyze._diagnose import analyze
from olm_gather._analyze._model import NOT_SET, Analysis, Evidence, Finding, OperatorRow, Severity, Verdict
from olm_gather._analyze._render import render_terminal, to_json
from olm_gather._analyze._tree import DirTree, MemoryTree, Tree, UnreadableTreeError, open_tree, read_archive

__all__ = [
    "NOT_SET",
    "Analysis",
    "DirTree",
    "Evidence",
    "Finding",
    "MemoryTree",
    "OperatorRow",
    "Severity",
    "Tree",
    "UnreadableTreeError",
    "Verdict",
    "analyze",
    "open_tree",
    "read_archive",
    "render_terminal",
    "to_json",
]
