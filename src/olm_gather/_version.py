"""The package version: the library's semver and the version line of the must-gather `version` file."""

__version__ = "0.1.0"
