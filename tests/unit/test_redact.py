import base64
import json

import pytest

from olm_gather import _redact, _yaml

CANARY = "canary-7f3a9c"  # a value that must never reach the output


def _forms(value: str) -> list[str]:
    return [value, base64.b64encode(value.encode()).decode(), json.dumps(value)[1:-1]]


def _assert_clean(data: bytes) -> None:
    text = data.decode()
    for form in _forms(CANARY):
        assert form not in text


def _container() -> dict:
    return {
        "name": "manager",
        "env": [
            {"name": "PLAIN", "value": CANARY},
            {"name": "REF", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        ],
    }


def _pod_spec() -> dict:
    return {"containers": [_container()], "initContainers": [_container()]}


SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {
        "name": "s",
        "annotations": {_redact.LAST_APPLIED: json.dumps({"data": {"k": CANARY}})},
    },
    "data": {"k": base64.b64encode(CANARY.encode()).decode()},
    "stringData": {"plain": CANARY},
}


@pytest.mark.parametrize(
    "obj",
    [
        SECRET,
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": _pod_spec()},
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": _pod_spec()}}},
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "spec": {"jobTemplate": {"spec": {"template": {"spec": _pod_spec()}}}},
        },
        {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "ClusterServiceVersion",
            "spec": {
                "install": {"spec": {"deployments": [{"name": "d", "spec": {"template": {"spec": _pod_spec()}}}]}}
            },
        },
        {
            "apiVersion": "operators.coreos.com/v1alpha1",
            "kind": "Subscription",
            "spec": {"config": {"env": [{"name": "X", "value": CANARY}]}},
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"annotations": {_redact.LAST_APPLIED: CANARY}}},
        {"apiVersion": "v1", "kind": "SecretList", "items": [SECRET]},
    ],
    ids=["secret", "pod", "deployment", "cronjob", "csv", "subscription", "last-applied", "secret-list"],
)
def test_no_canary_survives(obj: dict) -> None:
    _assert_clean(_yaml.dump(_redact.redact(obj).obj))


def test_installplan_step_manifests_are_redacted() -> None:
    csv = {
        "kind": "ClusterServiceVersion",
        "spec": {"install": {"spec": {"deployments": [{"spec": {"template": {"spec": _pod_spec()}}}]}}},
    }
    plan = {
        "kind": "InstallPlan",
        "status": {
            "plan": [
                {"resource": {"kind": "ClusterServiceVersion", "manifest": json.dumps(csv)}},
                {
                    "resource": {
                        "kind": "BundleSecret",
                        "manifest": json.dumps({"kind": "Secret", "stringData": {"k": CANARY}}),
                    }
                },
                {"resource": {"kind": "Secret", "manifest": "not json " + CANARY}},
            ]
        },
    }
    out = _redact.redact(plan).obj
    _assert_clean(_yaml.dump(out))
    steps = out["status"]["plan"]
    assert json.loads(steps[0]["resource"]["manifest"])["kind"] == "ClusterServiceVersion"
    assert steps[2]["resource"]["manifest"].startswith("<redacted: ")


def test_keys_and_references_stay() -> None:
    out = _redact.redact(SECRET).obj
    assert set(out["data"]) == {"k"}
    assert out["data"]["k"] == f"<redacted: {len(SECRET['data']['k'])} bytes>"
    pod = _redact.redact({"kind": "Pod", "spec": _pod_spec()}).obj
    env = pod["spec"]["containers"][0]["env"]
    assert env[0]["name"] == "PLAIN"
    assert env[1] == {"name": "REF", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}


def test_input_untouched_and_idempotent() -> None:
    before = json.dumps(SECRET, sort_keys=True)
    once = _redact.redact(SECRET).obj
    assert json.dumps(SECRET, sort_keys=True) == before
    assert _redact.redact(once).obj == once


def test_redacted_cannot_be_forged() -> None:
    with pytest.raises(TypeError):
        _redact.Redacted({"kind": "Secret"}, object())
