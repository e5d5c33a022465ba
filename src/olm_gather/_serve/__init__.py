"""`olm-gather serve`: a gathered tree answers the real kubectl (and any client-go tool), read-only.

    index = Index(open_tree("must-gather.local.1/"))   # a directory, a .tar.gz or {path: bytes}
    app = application(index)                            # an aiohttp web.Application

Modules: `_index` (the tree's resources, objects and logs), `_builtin` (discovery facts of built-in kinds),
`_discovery` (legacy and aggregated discovery), `_tables` (server-side printing), `_select` (label and field
selectors, pages), `_handlers` (the HTTP routes). It reads the tree only through `_analyze._tree` and
`_layout`, never writes, and never talks to a cluster.
"""

from __future__ import annotations

from olm_gather._serve._handlers import application
from olm_gather._serve._index import Index

__all__ = ["Index", "application"]
