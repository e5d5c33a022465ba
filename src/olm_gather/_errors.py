"""The one error tree of olm-gather. Every failure the library raises is one of these; client-library
exceptions never leak out of `_kube`.

    OlmGatherError                 exit code 2 unless said otherwise
    ├── ConfigError                bad options or kubeconfig (which file, which context)
    ├── UnreachableError           the API server cannot be reached (which server, why)
    ├── OlmNotInstalledError       the cluster has no operators.coreos.com CRDs
    ├── OutputError                the output cannot be written (no room, not a directory, exists)
    │   └── OutputClosedError      the reader of the output went away (EPIPE): exit quietly, code 141
    ├── CancelledError             the gather was interrupted or ran out of time (`reason`)
    └── APIError                   the server answered with an error Status
        ├── UnauthorizedError      401: credentials rejected
        ├── ForbiddenError         403: RBAC denies the verb on the resource
        ├── NotFoundError          404
        ├── GoneError              410: a list continue token expired
        └── ServerError            5xx, an answer that is not JSON, and anything else

`APIError`s and `UnreachableError`s met while gathering (after retries) are recorded in gather.json and the run
goes on; at the top level (the first list of Subscriptions) they stop the run. A `CancelledError` while
gathering ends the fetching but still finishes the output, marked incomplete. Each message is one line that
says what to do.
"""

from __future__ import annotations


class OlmGatherError(Exception):
    """Root of every error olm-gather raises; `exit_code` is what the CLI exits with."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(OlmGatherError):
    """Options or kubeconfig that cannot work."""


class UnreachableError(OlmGatherError):
    """The API server could not be reached."""


class OlmNotInstalledError(OlmGatherError):
    """The cluster does not serve OLM's operators.coreos.com API."""


class OutputError(OlmGatherError):
    """The output (directory, archive, stream) cannot be written."""


class OutputClosedError(OutputError):
    """The output stream was closed by its reader (`olm-gather -o - | head`)."""

    exit_code = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe


class CancelledError(OlmGatherError):
    """Fetching stopped: `reason` is "interrupted" (SIGINT, SIGTERM, `Inspector.cancel()`) or "deadline"."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        # Raised out of a gather only when nothing was written yet; once output exists the gather finishes it.
        self.exit_code = 130 if reason == INTERRUPTED else 2


INTERRUPTED = "interrupted"
DEADLINE = "deadline"


class APIError(OlmGatherError):
    """The API server answered a request with an error Status."""

    def __init__(self, message: str, *, status: int, reason: str = "", path: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.path = path


class UnauthorizedError(APIError):
    pass


class ForbiddenError(APIError):
    pass


class NotFoundError(APIError):
    pass


class GoneError(APIError):
    pass


class ServerError(APIError):
    pass


def for_status(status: int) -> type[APIError]:
    """The error class of an HTTP status code."""
    return {401: UnauthorizedError, 403: ForbiddenError, 404: NotFoundError, 410: GoneError}.get(status, ServerError)
