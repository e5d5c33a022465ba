"""Fixtures of the e2e tests: the cluster, a client, a fresh namespace per test.

By default the session brings up the local cluster with real OLM (tests/cluster/cluster.py up --olm; it reuses
a running one in seconds). With OLM_GATHER_TEST_KUBECONFIG=<path> the tests use that existing cluster instead
(a kind cluster on a laptop, for example) and start nothing; tests that need the test catalog skip when its
CatalogSource olm/olm-gather-test is not READY there, tests that need kwok skip where there are no kwok nodes.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.e2e import olmtest
from tests.e2e.kapi import Api

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def kubeconfig() -> str:
    """Path of the kubeconfig of the cluster under test (the local one is brought up with OLM, or reused)."""
    external = os.environ.get("OLM_GATHER_TEST_KUBECONFIG")
    if external:
        if not Path(external).is_file():
            pytest.fail(f"OLM_GATHER_TEST_KUBECONFIG={external} is not a file", pytrace=False)
        return external
    cmd = [sys.executable, str(REPO / "tests/cluster/cluster.py"), "up", "--olm"]
    if subprocess.run(cmd, check=False).returncode != 0:
        pytest.fail("the local cluster did not come up: see the output of cluster.py above", pytrace=False)
    return str(REPO / ".cluster/kubeconfig")


@pytest.fixture(scope="session")
def plain_kubeconfig() -> str:
    """A second local control plane with OLM's CRDs but none of its controllers (in .cluster/plain), for tests
    that write hand-made OLM objects: real OLM would act on them (status, InstallPlans, Deployments)."""
    external = os.environ.get("OLM_GATHER_TEST_PLAIN_KUBECONFIG")
    if external:
        return external
    if os.environ.get("OLM_GATHER_TEST_KUBECONFIG"):
        pytest.skip(
            "hand-made OLM objects need a cluster without OLM controllers: set OLM_GATHER_TEST_PLAIN_KUBECONFIG"
        )
    state = REPO / ".cluster" / "plain"
    cmd = [sys.executable, str(REPO / "tests/cluster/cluster.py"), "up"]
    if subprocess.run(cmd, check=False, env=dict(os.environ, OLM_GATHER_CLUSTER_DIR=str(state))).returncode != 0:
        pytest.fail("the plain local cluster did not come up: see the output of cluster.py above", pytrace=False)
    return str(state / "kubeconfig")


@pytest.fixture(scope="module")
def plain_api(plain_kubeconfig: str) -> Iterator[Api]:
    """olm-gather's own connection to the OLM-less cluster, for tests that write hand-made objects."""
    api = Api(plain_kubeconfig)
    yield api
    api.close()


@pytest.fixture(scope="session")
def api_client(kubeconfig: str) -> Iterator[client.ApiClient]:
    """An official kubernetes client bound to the cluster under test."""
    api = config.new_client_from_config(config_file=kubeconfig)
    yield api
    api.close()


@pytest.fixture(scope="session")
def olm_kubeconfig(kubeconfig: str, api_client: client.ApiClient) -> str:
    """The kubeconfig, for tests that need real OLM and the test catalog; skips them where it is not served."""
    try:
        ready = olmtest.Olm(api_client).catalog_ready()
    except ApiException as e:
        pytest.skip(f"no OLM on this cluster ({e.status} {e.reason})")
    if not ready:
        pytest.skip(f"CatalogSource {olmtest.CATALOG_NAMESPACE}/{olmtest.CATALOG} is not READY on this cluster")
    return kubeconfig


@pytest.fixture(scope="session")
def olm(olm_kubeconfig: str, api_client: client.ApiClient) -> olmtest.Olm:
    """Reads and writes OLM objects (skips like olm_kubeconfig)."""
    return olmtest.Olm(api_client)


@pytest.fixture
def namespace(api_client: client.ApiClient, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace named after the test (deleted afterwards, without waiting)."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_"))[:40].strip("-")
    name = f"e2e-{slug}-{secrets.token_hex(3)}"
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": name, "labels": {"olm-gather.test/e2e": "true"}}})
    # Pods need the namespace's default ServiceAccount, which kube-controller-manager adds shortly after.
    deadline = time.monotonic() + 30
    while True:
        try:
            core.read_namespaced_service_account("default", name)
            break
        except ApiException as e:
            if e.status != 404 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    yield name
    try:
        core.delete_namespace(name)
    except ApiException as e:
        if e.status != 404:
            raise
