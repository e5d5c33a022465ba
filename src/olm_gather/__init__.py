"""olm-gather: gather exactly an OLM-installed operator and what OLM created for it, in the must-gather layout.

    import olm_gather

    result = olm_gather.new(package="etcd", namespace="operators").inspect()
    print(result.location, len(result.objects), result.incomplete)

The public API is what `__all__` lists; every other module is private and may change without notice.
"""

from typing import TYPE_CHECKING, Any

from olm_gather._config import InspectConfig, Progress
from olm_gather._errors import (
    APIError,
    ConfigError,
    ForbiddenError,
    NotFoundError,
    OlmGatherError,
    OlmNotInstalledError,
    UnauthorizedError,
    UnreachableError,
)
from olm_gather._flags import add_flags, click_options, config_from_click, config_from_flags
from olm_gather._layout import LAYOUT_VERSION
from olm_gather._sink import DirectoryWriter, MemoryWriter, TarGzWriter, TarStreamWriter, Writer
from olm_gather._version import __version__

if TYPE_CHECKING:
    from olm_gather._inspector import GatheredObject, GatherProblem, Inspector, InspectResult, new

_GATHER = frozenset({"GatheredObject", "GatherProblem", "Inspector", "InspectResult", "new"})


def __getattr__(name: str) -> Any:
    # The gather loads the Kubernetes client; `olm-gather redact` must start without it.
    if name in _GATHER:
        from olm_gather import _inspector  # noqa: PLC0415

        return getattr(_inspector, name)
    raise AttributeError(f"module 'olm_gather' has no attribute {name!r}")


__all__ = [
    "LAYOUT_VERSION",
    "APIError",
    "ConfigError",
    "DirectoryWriter",
    "ForbiddenError",
    "GatherProblem",
    "GatheredObject",
    "InspectConfig",
    "InspectResult",
    "Inspector",
    "MemoryWriter",
    "NotFoundError",
    "OlmGatherError",
    "OlmNotInstalledError",
    "Progress",
    "TarGzWriter",
    "TarStreamWriter",
    "UnauthorizedError",
    "UnreachableError",
    "Writer",
    "__version__",
    "add_flags",
    "click_options",
    "config_from_click",
    "config_from_flags",
    "new",
]
