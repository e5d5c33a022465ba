"""The OLM scenarios (tests/e2e/olm_scenarios.py), installed once per session by the real OLM controllers and
shared by the fidelity and diagnosis tests, which only read them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from tests.e2e import olm_scenarios
from tests.e2e.kapi import Api


@pytest.fixture(scope="session")
def olm_api(olm_kubeconfig: str) -> Iterator[Api]:
    api = Api(olm_kubeconfig)
    yield api
    api.close()


@pytest.fixture(scope="session")
def scenarios(olm_api: Api) -> Iterator[list[olm_scenarios.Scenario]]:
    made = [dataclasses.replace(s) for s in olm_scenarios.SCENARIOS]
    try:
        olm_scenarios.install_all(olm_api, made)
        yield made
    finally:
        olm_scenarios.remove_all(olm_api, made)
