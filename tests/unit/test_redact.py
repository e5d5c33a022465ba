import base64
import json
import re

import pytest
import yaml

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


# --- shapes real bundles and CRs use (issue 11): each of these reached the output before --------------------------

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + CANARY + "AKCAQEA\n-----END RSA PRIVATE KEY-----\n"


def _cr(spec: dict) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Example", "metadata": {"name": "example-cr"}, "spec": spec}


def _csv(annotations: dict) -> dict:
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": {"name": "op.v1", "annotations": annotations},
    }


@pytest.mark.parametrize(
    "spec",
    [
        {"env": {"PASSWORD": CANARY}},
        {"env": [f"PASSWORD={CANARY}"]},
        {"env": f"PASSWORD={CANARY}\nUSER=admin"},
        {"extraEnv": [{"name": "PASSWORD", "value": CANARY}]},
        {"envVars": {"PASSWORD": CANARY}},
        {"components": [{"name": "db", "additionalEnv": [{"name": "PASSWORD", "value": CANARY}]}]},
        {"environment": {"PASSWORD": {"value": CANARY}}},
    ],
    ids=["map", "k-v-strings", "k-v-text", "extraEnv", "envVars", "nested", "map-of-items"],
)
def test_env_in_every_shape(spec: dict) -> None:
    out = _yaml.dump(_redact.redact(_cr(spec)).obj)
    _assert_clean(out)
    assert b"PASSWORD" in out  # the variable's name stays


def test_env_kv_strings_keep_names_and_other_items() -> None:
    out = _redact.redact(_cr({"env": [f"PASSWORD={CANARY}", {"name": "REF", "valueFrom": {"fieldRef": {}}}]})).obj
    assert out["spec"]["env"] == [
        f"PASSWORD=<redacted: {len(CANARY)} bytes>",
        {"name": "REF", "valueFrom": {"fieldRef": {}}},
    ]


def test_labels_named_env_stay() -> None:
    obj = {"kind": "Deployment", "metadata": {"name": "d", "labels": {"env": "prod"}}}
    assert _redact.redact(obj).obj["metadata"]["labels"] == {"env": "prod"}


@pytest.mark.parametrize(
    "annotation", ["alm-examples", "operatorframework.io/initialization-resource", "example.com/any-json"]
)
def test_json_annotations_are_redacted_by_the_same_rules(annotation: str) -> None:
    examples = [_cr({"env": [{"name": "PASSWORD", "value": CANARY}]}), {"kind": "Secret", "stringData": {"k": CANARY}}]
    value = json.dumps(examples if annotation == "alm-examples" else examples[0], indent=2)
    out = _redact.redact(_csv({annotation: value})).obj
    _assert_clean(_yaml.dump(out))
    decoded = json.loads(out["metadata"]["annotations"][annotation])
    first = decoded[0] if isinstance(decoded, list) else decoded
    assert first["metadata"]["name"] == "example-cr" and first["spec"]["env"][0]["name"] == "PASSWORD"


def test_yaml_annotation_is_redacted_and_untouched_annotations_keep_their_text() -> None:
    untouched = '{"a":  [1, 2],\n "b": "text"}'
    obj = _csv({"x/yaml": f"spec:\n  env:\n  - name: P\n    value: {CANARY}\n", "x/json": untouched, "x/t": "a: b"})
    out = _redact.redact(obj).obj["metadata"]["annotations"]
    _assert_clean(_yaml.dump(out))
    assert out["x/json"] == untouched and out["x/t"] == "a: b"


@pytest.mark.parametrize(
    "value", ["[not json " + CANARY, '{"k": "' + CANARY + '"', json.dumps(json.dumps({"k": CANARY}))]
)
def test_annotations_that_look_like_json_but_do_not_parse_are_replaced(value: str) -> None:
    out = _redact.redact(_csv({"x": value, "alm-examples": "not json " + CANARY})).obj
    _assert_clean(_yaml.dump(out))


def test_plain_annotations_stay() -> None:
    plain = {"description": "Runs the database: fast.", "url": "https://example.com/x", "n": "3"}
    assert _redact.redact(_csv(dict(plain))).obj["metadata"]["annotations"] == plain


def test_csv_step_manifest_with_alm_examples_is_redacted() -> None:
    csv = _csv({"alm-examples": json.dumps([_cr({"env": {"PASSWORD": CANARY}})])})
    plan = {"kind": "InstallPlan", "status": {"plan": [{"resource": {"manifest": json.dumps(csv)}}]}}
    _assert_clean(_yaml.dump(_redact.redact(plan).obj))


def test_step_manifest_of_a_json_string_is_replaced_whole() -> None:
    inner = json.dumps({"kind": "Secret", "stringData": {"k": CANARY}})
    plan = {"kind": "InstallPlan", "status": {"plan": [{"resource": {"manifest": json.dumps(inner)}}]}}
    out = _redact.redact(plan).obj
    _assert_clean(_yaml.dump(out))
    assert re.fullmatch(r"<redacted: \d+ bytes>", out["status"]["plan"][0]["resource"]["manifest"])


def test_secret_annotations_are_replaced_except_the_allow_list() -> None:
    secret = {
        "kind": "Secret",
        "metadata": {
            "name": "builder-token",
            "annotations": {
                "openshift.io/token-secret.value": CANARY,
                "kubernetes.io/service-account.name": "builder",
            },
        },
        "type": "kubernetes.io/service-account-token",
    }
    out = _redact.redact(secret).obj
    _assert_clean(_yaml.dump(out))
    assert out["metadata"]["annotations"]["kubernetes.io/service-account.name"] == "builder"
    assert out["type"] == "kubernetes.io/service-account-token"


def test_secret_list_items_without_kind_are_secrets() -> None:
    item = {"metadata": {"name": "s"}, "data": {"k": base64.b64encode(CANARY.encode()).decode()}}
    out = _redact.redact({"apiVersion": "v1", "kind": "SecretList", "items": [item]}).obj
    _assert_clean(_yaml.dump(out))
    assert out["items"][0]["metadata"]["name"] == "s" and list(out["items"][0]["data"]) == ["k"]


@pytest.mark.parametrize("shape", ["object", "list", "list-without-kind"])
def test_the_resource_decides_not_only_the_kind(shape: str) -> None:
    item = {"metadata": {"name": "s"}, "data": {"k": CANARY}}  # no kind, as list items and hand-made files come
    obj = {"object": item, "list": {"kind": "List", "items": [item]}, "list-without-kind": {"items": [item]}}[shape]
    _assert_clean(_yaml.dump(_redact.redact(obj, group="", plural="secrets").obj))
    # The same object from another resource is not a Secret: its data stays.
    assert CANARY in _yaml.dump(_redact.redact(obj, group="example.com", plural="secrets").obj).decode()


def test_private_keys_in_configmaps_and_any_string() -> None:
    configmap = {
        "kind": "ConfigMap",
        "metadata": {"name": "tls", "annotations": {"note": "key: " + PEM}},
        "data": {"tls.key": PEM, "tls.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
        "binaryData": {"key.der": base64.b64encode(PEM.encode() * 2).decode()},
    }
    out = _redact.redact(configmap)
    _assert_clean(_yaml.dump(out.obj))
    assert out.obj["data"]["tls.crt"] == configmap["data"]["tls.crt"]  # certificates are public
    assert out.obj["data"]["tls.key"] == f"<redacted: private key, {len(PEM) - 1} bytes>\n"
    assert out.counts[_redact.PRIVATE_KEY] == 3
    truncated = _redact.redact({"kind": "X", "spec": {"k": "a " + PEM[:40] + CANARY}}).obj
    assert truncated["spec"]["k"].startswith("a <redacted: private key")


def test_counts_per_rule() -> None:
    counts = _redact.redact(SECRET).counts
    assert counts == {_redact.SECRET: 2, _redact.LAST_APPLIED_RULE: 1}
    assert _redact.redact(_redact.redact(SECRET).obj).counts == {}


# --- logs -------------------------------------------------------------------------------------------------------


EC_KEY = b"-----BEGIN EC PRIVATE KEY-----\\nMHc" + CANARY.encode() + b"\\n-----END EC PRIVATE KEY-----"
LOG = (
    b"2026-01-01T00:00:00Z starting\n"
    b"2026-01-01T00:00:01Z loaded -----BEGIN PRIVATE KEY-----\n"
    b"2026-01-01T00:00:01Z MIIEv" + CANARY.encode() + b"QIBADANBg\n"
    b"2026-01-01T00:00:01Z -----END PRIVATE KEY----- done\n"
    b'2026-01-01T00:00:02Z {"key":"' + EC_KEY + b'\\n"}\n'
    b"2026-01-01T00:00:03Z ready\n"
)


def _filter(data: bytes, chunk: int) -> tuple[bytes, int]:
    f = _redact.LogFilter()
    out = b"".join(f.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)) + f.finish()
    return out, f.count


def test_log_filter_across_every_chunk_boundary() -> None:
    whole, count = _filter(LOG, len(LOG))
    assert count == 2 and CANARY.encode() not in whole
    assert whole.startswith(b"2026-01-01T00:00:00Z starting\n2026-01-01T00:00:01Z loaded <redacted: private key, ")
    assert whole.endswith(
        b' done\n2026-01-01T00:00:02Z {"key":"<redacted: private key, %d bytes>\\n"}\n2026-01-01T00:00:03Z ready\n'
        % len(EC_KEY)
    )
    for chunk in range(1, 120):
        assert _filter(LOG, chunk) == (whole, 2), chunk


def test_log_filter_fails_closed_and_is_bounded() -> None:
    out, count = _filter(b"a -----BEGIN PRIVATE KEY-----\n" + CANARY.encode() * 10, 7)
    assert out == b"a <redacted: private key, " + str(28 + 10 * len(CANARY)).encode() + b" bytes>" and count == 1
    # A BEGIN without END does not swallow the rest of a long log.
    bound = 64 * 1024  # the contract's limit of one key block in a log
    long = b"-----BEGIN PRIVATE KEY-----" + b"x" * (bound * 2) + b" tail\n"
    out, _ = _filter(long, 4096)
    assert out.endswith(b"x tail\n") and len(out) < len(long) - bound + 100


def test_filter_log_spools_and_output_refuses_raw_logs() -> None:
    import io

    from olm_gather import _output, _sink

    writer = _sink.MemoryWriter()
    out = _output.Output(writer)
    with pytest.raises(TypeError):
        out.put_log("x.log", io.BytesIO(LOG))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _redact.FilteredLog(io.BytesIO(), 0, 0, object())
    out.put_log("x.log", _redact.filter_log(io.BytesIO(LOG)))
    assert writer.files["x.log"] == _filter(LOG, 1)[0]


def test_manifests_held_in_configmap_data_are_redacted() -> None:
    """A bundle's manifests written into a ConfigMap (as OLM's unpack ConfigMaps hold them), YAML and JSON."""
    secret = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: bundle-secret\nstringData:\n  k: {CANARY}\n"
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "op"}, "spec": _pod_spec()}
    settings = "apiVersion: example.com/v1\nkind: Settings\nmode: strict  # kept as written\n"
    configmap = {
        "kind": "ConfigMap",
        "data": {
            "manifests.yaml": secret + "---\n" + _yaml.dump(deployment).decode(),
            "deployment.json": json.dumps(deployment),
            "settings.yaml": settings,
        },
    }
    out = _redact.redact(configmap).obj
    _assert_clean(_yaml.dump(out))
    docs = list(yaml.safe_load_all(out["data"]["manifests.yaml"]))
    assert docs[0]["metadata"]["name"] == "bundle-secret" and list(docs[0]["stringData"]) == ["k"]
    assert json.loads(out["data"]["deployment.json"])["metadata"]["name"] == "op"
    assert out["data"]["settings.yaml"] == settings
