"""Turns a kubeconfig (or the pod's service account) into a connection: a urllib3 pool with the cluster's TLS
settings and a function giving the current auth headers.

The official `kubernetes` client does the kubeconfig work (several files in KUBECONFIG, exec plugins, OIDC,
proxy-url, in-cluster) and builds the TLS pool; its generated models are never used. This module never
sends a request.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from olm_gather import _errors
from olm_gather._kube import _fastimport

if TYPE_CHECKING:
    import urllib3

_IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 - a path


@dataclasses.dataclass(frozen=True)
class Connection:
    """Where the API server is, how to reach it, and who we are to it (for messages)."""

    host: str
    pool: urllib3.PoolManager
    auth_headers: Callable[[], dict[str, str]]
    source: str  # "kubeconfig /path (context x)" or "in-cluster service account"


def connect(
    *, kubeconfig: str = "", context: str = "", client_configuration: Any = None, pool_size: int = 16
) -> Connection:
    """Loads credentials: an already-loaded `kubernetes.client.Configuration`, else the kubeconfig (explicit
    path, else $KUBECONFIG, else ~/.kube/config), else the in-cluster service account."""
    config, configuration, rest = _fastimport.loaders()  # paid only by commands that talk to a cluster
    if client_configuration is not None:
        cfg = client_configuration
        source = "the given client configuration"
    else:
        cfg = configuration()
        source = _load(config, cfg, kubeconfig=kubeconfig, context=context)
    if not cfg.verify_ssl:
        import urllib3  # noqa: PLC0415

        # The kubeconfig says insecure-skip-tls-verify: the user chose it, and kubectl does not warn on each request.
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    cfg.connection_pool_maxsize = max(pool_size, cfg.connection_pool_maxsize or 0)
    pool = rest.RESTClientObject(cfg).pool_manager

    def auth_headers() -> dict[str, str]:
        # Evaluated per request so exec plugins and OIDC can refresh an expiring token.
        headers: dict[str, str] = {}
        for setting in cfg.auth_settings().values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        if "authorization" not in headers and cfg.username and cfg.password:
            headers["authorization"] = cfg.get_basic_auth_token()
        return headers

    return Connection(host=str(cfg.host).rstrip("/"), pool=pool, auth_headers=auth_headers, source=source)


def _load(config: Any, cfg: Any, *, kubeconfig: str, context: str) -> str:
    paths = kubeconfig or os.environ.get("KUBECONFIG", "")
    default = os.path.expanduser("~/.kube/config")
    if not paths and not os.path.exists(default) and os.path.exists(_IN_CLUSTER_TOKEN):
        if context:
            raise _errors.ConfigError("--context needs a kubeconfig; running in-cluster there is none")
        try:
            config.load_incluster_config(client_configuration=cfg)
        except config.ConfigException as e:
            raise _errors.ConfigError(f"in-cluster config: {e}") from None
        return "in-cluster service account"
    shown = paths or default
    for path in (paths or default).split(os.pathsep):
        if path and not os.path.exists(path):
            raise _errors.ConfigError(f"kubeconfig {path} does not exist; pass --kubeconfig or set KUBECONFIG")
    try:
        config.load_kube_config(
            config_file=paths or None,
            context=context or None,
            client_configuration=cfg,
            persist_config=False,
        )
    except config.ConfigException as e:
        raise _errors.ConfigError(f"kubeconfig {shown}: {_one_line(e)}") from None
    except OSError as e:
        raise _errors.ConfigError(f"kubeconfig {shown} cannot be read: {e.strerror or _one_line(e)}") from None
    except Exception as e:
        # The loader meets a garbage file with TypeError, AttributeError, a YAML error...: none says more than this.
        raise _errors.ConfigError(
            f"kubeconfig {shown} is not a valid kubeconfig ({type(e).__name__}: {_one_line(e)[:160]})"
        ) from None
    return f"kubeconfig {shown}" + (f" (context {context})" if context else "")


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())
