"""Imports the parts of the official `kubernetes` client a gather uses (the kubeconfig and in-cluster loaders, the
Configuration, the TLS pool) without the rest, which costs most of olm-gather's start: `kubernetes/__init__.py`
imports the watch, dynamic, stream and informer packages, `ApiClient` imports every generated model, and the
kubeconfig loader imports requests and oauthlib for OIDC refreshes alone (together about 1 s of 1.3 s).

Those packages are put in `sys.modules` as real, not yet executed, package modules: submodules import from
them as usual, and the first access to any other attribute runs their real `__init__`, so a caller who imports
`kubernetes` after us gets the whole client. The names the loader imports at its top (`ApiClient`,
`OAuth2Session`) are stand-ins that import the real class when first constructed (OIDC only). Nothing is
deferred when the package was imported before us.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_lock = threading.RLock()


def loaders() -> tuple[Any, Any, Any]:
    """(kubernetes.config, kubernetes.client.Configuration, kubernetes.client.rest), imported the cheap way."""
    with _lock:
        if "kubernetes" not in sys.modules:
            _defer("kubernetes")
            client = _defer("kubernetes.client")
            configuration = importlib.import_module("kubernetes.client.configuration")
            client.Configuration = configuration.Configuration  # type: ignore[attr-defined]
            client.ApiClient = _standin("kubernetes.client.api_client", "ApiClient")  # type: ignore[attr-defined]
        if "requests_oauthlib" not in sys.modules:
            requests_oauthlib = _defer("requests_oauthlib")
            requests_oauthlib.OAuth2Session = _standin("requests_oauthlib", "OAuth2Session")  # type: ignore[attr-defined]
        if "oauthlib.oauth2" not in sys.modules:
            _defer("oauthlib.oauth2")
        config = importlib.import_module("kubernetes.config")
        configuration = importlib.import_module("kubernetes.client.configuration")
        rest = importlib.import_module("kubernetes.client.rest")
        return config, configuration.Configuration, rest


def _defer(name: str) -> types.ModuleType:
    parent, _, child = name.rpartition(".")
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"{name} is not installed")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def load(attribute: str) -> Any:
        with _lock:
            if module.__dict__.get("__getattr__") is load:
                del module.__dict__["__getattr__"]
                for key, value in list(module.__dict__.items()):
                    if isinstance(value, type) and issubclass(value, _StandIn):
                        del module.__dict__[key]  # the real one comes from the real __init__
                loader.exec_module(module)  # which may define its own lazy __getattr__
        return getattr(module, attribute)

    load.deferred = True  # type: ignore[attr-defined]
    module.__getattr__ = load  # type: ignore[method-assign]
    sys.modules[name] = module
    if parent:
        setattr(sys.modules[parent] if parent in sys.modules else importlib.import_module(parent), child, module)
    return module


class _StandIn:
    real: tuple[str, str] = ("", "")

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        module_name, name = cls.real
        module = importlib.import_module(module_name)
        hook: Any = module.__dict__.get("__getattr__")
        real = hook(name) if getattr(hook, "deferred", False) else getattr(module, name)
        return real(*args, **kwargs)


def _standin(module: str, name: str) -> type:
    """A class that stands for `module.name` until constructed, then builds the real one."""
    return type(name, (_StandIn,), {"real": (module, name), "__doc__": f"Stands in for {module}.{name}."})
