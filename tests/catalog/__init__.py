"""The local catalog of test operators that real OLM installs in olm-gather's e2e tests (README.md here).

Importable as `catalog` with tests/ on sys.path (pytest's `pythonpath`); `generate.py` is its command line.
"""
