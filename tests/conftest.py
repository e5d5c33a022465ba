"""Shared by unit and e2e tests: the repository root on sys.path so tests import their helpers as `tests.*`."""
