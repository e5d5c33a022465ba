"""The cheap import of the official client's kubeconfig loader: what it leaves out (the generated models, the
watch/dynamic packages, requests and oauthlib), and that a program importing `kubernetes` afterwards still gets
the whole client. Runs in fresh interpreters, since the point is what gets imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_loader_leaves_out_models_requests_and_oauthlib() -> None:
    out = run("""
        import sys
        from olm_gather._kube import _fastimport
        config, configuration, rest = _fastimport.loaders()
        assert callable(config.load_kube_config) and callable(config.load_incluster_config)
        assert configuration().verify_ssl and rest.RESTClientObject
        heavy = ("kubernetes.client.models", "kubernetes.watch", "kubernetes.dynamic", "requests",
                 "oauthlib.oauth2.rfc6749", "kubernetes.client.api_client")
        print(",".join(m for m in heavy if m in sys.modules))
    """)
    assert out == ""


def test_kubernetes_imported_afterwards_is_the_whole_client() -> None:
    out = run("""
        from olm_gather._kube import _fastimport
        _fastimport.loaders()
        import kubernetes
        from kubernetes import client, config, watch
        import kubernetes.config.kube_config as kube_config
        import requests_oauthlib
        assert client.CoreV1Api and client.V1Pod and watch.Watch and config.new_client_from_config
        import kubernetes.client.api_client
        real = kubernetes.client.api_client.ApiClient
        # once the real package ran (first other attribute), the stand-in is gone; before, it builds the real one
        assert client.ApiClient is real and isinstance(kube_config.ApiClient(), real)
        session = kube_config.OAuth2Session(client_id="x")  # the stand-in builds the real one
        assert requests_oauthlib.OAuth1Session  # any other name runs the real package: the stand-in is gone
        assert type(session) is requests_oauthlib.OAuth2Session
        assert kube_config.oauthlib.oauth2.rfc6749.errors.InvalidClientIdError
        print(kubernetes.__version__)
    """)
    assert out.count(".") == 2


def test_nothing_is_deferred_when_kubernetes_came_first() -> None:
    out = run("""
        import kubernetes, sys
        from olm_gather._kube import _fastimport
        _fastimport.loaders()
        print(type(sys.modules["kubernetes"].__dict__.get("__getattr__")).__name__)
    """)
    assert out == "NoneType"


def test_help_and_version_load_nothing_that_talks_to_a_cluster() -> None:
    """`olm-gather --help` and `--version` end in argument parsing, before the gather's modules (the HTTP client,
    the kubeconfig loader, YAML) load: issue 12 wants them fast."""
    out = run("""
        import contextlib, io, sys
        from olm_gather import _cli
        for flag in ("--help", "--version"):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                _cli.main([flag])
        loaded = ("urllib3", "kubernetes", "yaml", "olm_gather._inspector", "olm_gather._kube")
        print(",".join(m for m in loaded if m in sys.modules))
    """)
    assert out == ""
