"""Knows OLM: decides what to fetch from what was fetched, starting from Subscriptions. No files, no printing."""

from olm_gather._traverse._graph import Options, Traversal
from olm_gather._traverse._items import AlsoFound, Events, Found, Item, Key, Log, Note, Problem

__all__ = ["AlsoFound", "Events", "Found", "Item", "Key", "Log", "Note", "Options", "Problem", "Traversal"]
