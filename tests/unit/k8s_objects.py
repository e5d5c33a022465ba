"""Hypothesis strategies for the objects olm-gather gathers, written from the Kubernetes and OLM API shapes (core/v1,
apps/v1, batch/v1, operators.coreos.com/v1alpha1) and from what real bundles and custom resources carry, not from
the redaction rules.

Every value that holds a credential by the promise "no Secret value and no environment variable value is ever
written" (Secret data, stringData and annotations, env values in every shape CRs use, private keys, the copies of
those in last-applied annotations, examples and step manifests) is a fresh canary; every name, key and plain
setting is a fresh kept token. A `Sample` lists both, so the test knows what must vanish and what must stay
without asking the code under test.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import yaml
from hypothesis import strategies as st

CANARY_PREFIX = 'cnry"'  # the quote makes the JSON-escaped form differ from the plain one
OLM = "operators.coreos.com"
_TOKEN = st.integers(0, 1 << 40)
_PEM_LABELS = ("", "RSA ", "EC ", "ENCRYPTED ", "OPENSSH ")
_ENV_KEYS = ("env", "extraEnv", "envVars", "additionalEnv", "environment", "extraEnvVars")
Obj = dict[str, Any]


@dataclasses.dataclass
class Sample:
    obj: Obj
    group: str  # the resource the object was read from ("" and "" when unknown)
    plural: str
    canaries: list[str]
    kept: list[str]


class _Bag:
    """Draws tokens and remembers which must vanish (canaries) and which must stay (kept)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.canaries: list[str] = []
        self.kept: list[str] = []
        self._count = 0
        self._salt = draw(_TOKEN)

    def token(self) -> str:
        """Unique within a sample (so no token is part of another), salted per sample (so examples differ)."""
        self._count += 1
        return f"{self._count}x{self._salt:x}"

    def canary(self) -> str:
        value = CANARY_PREFIX + self.token()
        self.canaries.append(value)
        return value

    def name(self, prefix: str = "keep") -> str:
        value = f"{prefix}-{self.token()}"
        self.kept.append(value)
        return value

    def env_name(self) -> str:
        value = "KEEP_" + self.token().upper()
        self.kept.append(value)
        return value

    def some(self, n: int = 3) -> int:
        return self.draw(st.integers(0, n))

    def coin(self) -> bool:
        return self.draw(st.booleans())

    def pick(self, options: tuple[Any, ...] | list[Any]) -> Any:
        return self.draw(st.sampled_from(options))


def _pem(b: _Bag) -> str:
    label = b.pick(_PEM_LABELS)
    return f"-----BEGIN {label}PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0{b.canary()}\nAoGBAL\n-----END {label}PRIVATE KEY-----\n"


def _meta(
    b: _Bag, namespace: str | None, *, name: str = "", secret: bool = False, annotations: Obj | None = None
) -> Obj:
    """Object metadata. On a Secret every annotation value but the service account's name is secret."""
    meta: Obj = {"name": name or b.name(), "uid": b.name("uid")}
    if namespace:
        meta["namespace"] = namespace
    if b.coin():
        meta["labels"] = {"app": b.name(), "env": b.name("label")}  # a label named env is a name, not a variable
    notes = dict(annotations or {})
    if b.coin():
        text = b.canary() if secret else b.name()
        notes.update({"description": f"Runs {text}: see the docs.", "example.com/revision": "3"})
    if b.coin():
        applied = {"apiVersion": "v1", "kind": "Whatever", "spec": {"password": b.canary()}}
        notes["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(applied)
    if notes:
        meta["annotations"] = notes
    return meta


# --- pods and workloads -----------------------------------------------------------------------------------------


def _env_var(b: _Bag) -> Obj:
    source = b.pick(("value", "secretKeyRef", "configMapKeyRef", "fieldRef"))
    name = b.env_name()
    if source == "value":
        return {"name": name, "value": b.canary()}
    if source == "fieldRef":
        return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
    return {"name": name, "valueFrom": {source: {"name": b.name(), "key": b.name()}}}


def _container(b: _Bag) -> Obj:
    c: Obj = {"name": b.name("c"), "image": f"registry.example.com/{b.name()}:v1"}
    if b.coin():
        c["args"] = ["--leader-elect", f"--metrics-bind-address={b.name()}"]
    env = [_env_var(b) for _ in range(b.some())]
    if env:
        c["env"] = env
    if b.coin():
        c["envFrom"] = [{"secretRef": {"name": b.name()}}, {"configMapRef": {"name": b.name()}, "prefix": "APP_"}]
    if b.coin():
        c["ports"] = [{"name": b.name("p"), "containerPort": 8443}]
    return c


def _pod_spec(b: _Bag) -> Obj:
    spec: Obj = {"containers": [_container(b) for _ in range(1 + b.some(2))], "serviceAccountName": b.name()}
    if b.coin():
        spec["initContainers"] = [_container(b)]
    if b.coin():
        spec["volumes"] = [{"name": b.name(), "secret": {"secretName": b.name()}}]
    return spec


def _template(b: _Bag) -> Obj:
    return {"metadata": {"labels": {"app": b.name()}}, "spec": _pod_spec(b)}


def _pod(b: _Bag, ns: str) -> Obj:
    spec = _pod_spec(b)
    statuses = [{"name": c["name"], "ready": True, "restartCount": 0} for c in spec["containers"]]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(b, ns),
        "spec": spec,
        "status": {"phase": "Running", "containerStatuses": statuses},
    }


def _workload(b: _Bag, ns: str) -> tuple[Obj, str, str]:
    kind = b.pick(("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"))
    group = "batch" if kind in ("Job", "CronJob") else "apps"
    spec: Obj = {"template": _template(b)}
    if kind == "CronJob":
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": spec}}
    elif kind != "Job":
        spec["selector"] = {"matchLabels": {"app": b.name()}}
    obj = {"apiVersion": f"{group}/v1", "kind": kind, "metadata": _meta(b, ns), "spec": spec}
    return obj, group, kind.lower() + "s"


# --- secrets and config maps --------------------------------------------------------------------------------------


def _secret(b: _Bag, ns: str, *, with_kind: bool = True) -> Obj:
    data = {}
    for _ in range(1 + b.some()):
        canary = b.canary().encode()
        # A Secret stores base64; a value that is itself base64 (a docker config, a kubeconfig field) is double.
        value = base64.b64encode(base64.b64encode(canary) if b.coin() else canary).decode()
        data[b.name("key")] = value
    annotations = {"kubernetes.io/service-account.name": b.name(), "example.com/note": b.canary()}
    if b.coin():
        annotations["openshift.io/token-secret.value"] = b.canary()  # OpenShift's ServiceAccount token
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(b, ns, secret=True, annotations=annotations),
        "type": b.pick(("Opaque", "kubernetes.io/service-account-token", "kubernetes.io/tls")),
        "data": data,
    }
    if b.coin():
        obj["stringData"] = {b.name("key"): b.canary()}
    if b.coin():
        obj["data"][b.name("key")] = base64.b64encode(_pem(b).encode()).decode()
    if not with_kind:
        del obj["kind"], obj["apiVersion"]
    return obj


def _configmap(b: _Bag, ns: str) -> Obj:
    data = {b.name("key"): b.name("value") for _ in range(1 + b.some(2))}
    if b.coin():
        data[b.name("key")] = f"# {b.name()}\n{_pem(b)}"
    if b.coin():
        data[b.name("key")] = f"-----BEGIN CERTIFICATE-----\nMIIB{b.name()}\n-----END CERTIFICATE-----\n"
    if b.coin():
        # OLM's bundle unpack ConfigMaps hold a bundle's manifests as YAML documents or JSON.
        if b.coin():
            data[b.name("key")] = json.dumps(_secret(b, ns))
        else:
            data[b.name("key")] = yaml.dump_all([_secret(b, ns), _workload(b, ns)[0]], Dumper=yaml.CSafeDumper)
    obj: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(b, ns), "data": data}
    if b.coin():
        obj["binaryData"] = {b.name("key"): base64.b64encode(_pem(b).encode()).decode()}
    return obj


# --- custom resources and OLM ---------------------------------------------------------------------------------


def _env_shape(b: _Bag) -> Any:
    """Environment variables the ways operators' CRDs and Helm-based operators take them."""
    shape = b.pick(("list", "map", "kv-list", "kv-text", "map-of-items"))
    names = [b.env_name() for _ in range(1 + b.some(2))]
    if shape == "list":
        return [{"name": n, "value": b.canary()} for n in names]
    if shape == "map":
        return {n: b.canary() for n in names}
    if shape == "kv-list":
        return [f"{n}={b.canary()}" for n in names]
    if shape == "kv-text":
        return "\n".join(f"{n}={b.canary()}" for n in names)
    return {n: {"value": b.canary()} for n in names}


def _custom_resource(b: _Bag, ns: str) -> tuple[Obj, str, str]:
    kind = "Kind" + b.token().upper()
    group = b.name("grp") + ".example.com"
    spec: Obj = {"replicas": 1, "image": f"registry.example.com/{b.name()}:v2", "mode": b.name()}
    where = b.pick(("spec", "component", "components"))
    key = b.pick(_ENV_KEYS)
    if where == "spec":
        spec[key] = _env_shape(b)
    elif where == "component":
        spec[b.name("part")] = {"size": b.name(), key: _env_shape(b)}
    else:
        spec["components"] = [{"name": b.name(), key: _env_shape(b)} for _ in range(1 + b.some(1))]
    if b.coin():
        spec["tls"] = {"certificate": b.name(), "privateKey": _pem(b)}
    obj = {"apiVersion": f"{group}/v1", "kind": kind, "metadata": _meta(b, ns), "spec": spec}
    return obj, group, kind.lower() + "s"


def _csv(b: _Bag, ns: str) -> Obj:
    name = b.name("op") + ".v1.0.0"
    examples = [_custom_resource(b, ns)[0] for _ in range(1 + b.some(2))]
    if b.coin():
        examples.append(_secret(b, ns))  # some bundles ship an example Secret for their CR
    annotations: Obj = {
        "alm-examples": json.dumps(examples, indent=2),
        "capabilities": "Basic Install",
        "categories": b.name(),
        "containerImage": f"registry.example.com/{b.name()}:v1",
    }
    if b.coin():
        annotations["operatorframework.io/initialization-resource"] = json.dumps(_custom_resource(b, ns)[0])
    deployments = [{"name": b.name(), "spec": {"replicas": 1, "template": _template(b)}} for _ in range(1 + b.some(1))]
    return {
        "apiVersion": f"{OLM}/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": _meta(b, ns, name=name, annotations=annotations),
        "spec": {
            "displayName": b.name(),
            "install": {"strategy": "deployment", "spec": {"deployments": deployments}},
            "installModes": [{"type": "OwnNamespace", "supported": True}],
        },
        "status": {"phase": "Succeeded", "reason": "InstallSucceeded"},
    }


def _subscription(b: _Bag, ns: str) -> Obj:
    config: Obj = {"env": [_env_var(b) for _ in range(1 + b.some(2))]}
    if b.coin():
        config["nodeSelector"] = {"kubernetes.io/os": b.name()}
    return {
        "apiVersion": f"{OLM}/v1alpha1",
        "kind": "Subscription",
        "metadata": _meta(b, ns),
        "spec": {"name": b.name(), "channel": "stable", "source": b.name(), "sourceNamespace": "olm", "config": config},
        "status": {"installedCSV": b.name(), "state": "AtLatestKnown"},
    }


def _step(b: _Bag, ns: str) -> Obj:
    what = b.pick(("csv", "secret", "deployment", "configmap", "json-of-json", "reference", "none"))
    resource: Obj = {"group": "", "version": "v1", "kind": "ServiceAccount", "name": b.name(), "sourceName": "cat"}
    if what == "csv":
        resource.update(group=OLM, version="v1alpha1", kind="ClusterServiceVersion", manifest=json.dumps(_csv(b, ns)))
    elif what == "secret":
        secret = _secret(b, ns)
        secret.setdefault("stringData", {})[b.name("key")] = b.canary()  # bundles write Secrets in plain text
        resource.update(kind="BundleSecret", manifest=json.dumps(secret))
    elif what == "deployment":
        resource.update(group="apps", kind="Deployment", manifest=json.dumps(_workload(b, ns)[0]))
    elif what == "configmap":
        resource.update(kind="ConfigMap", manifest=json.dumps(_configmap(b, ns)))
    elif what == "json-of-json":
        # Encoded twice, it is no object OLM could create: nothing in it can be promised to stay.
        kept = len(b.kept)
        resource.update(kind="BundleSecret", manifest=json.dumps(json.dumps(_secret(b, ns))))
        del b.kept[kept:]
    elif what == "reference":
        resource["manifest"] = json.dumps({"name": b.name(), "namespace": ns, "configMapName": b.name()})
    return {"resolving": b.name(), "resource": resource, "status": "Created"}


def _install_plan(b: _Bag, ns: str) -> Obj:
    return {
        "apiVersion": f"{OLM}/v1alpha1",
        "kind": "InstallPlan",
        "metadata": _meta(b, ns),
        "spec": {"approval": "Automatic", "approved": True, "clusterServiceVersionNames": [b.name()]},
        "status": {"phase": "Complete", "plan": [_step(b, ns) for _ in range(1 + b.some(4))]},
    }


@st.composite
def gathered(draw: st.DrawFn) -> Sample:
    """One object as a gather or an `oc adm inspect` tree holds it, with the resource it came from."""
    b = _Bag(draw)
    ns = b.name("ns")
    what = b.pick(
        (
            "secret",
            "pod",
            "workload",
            "csv",
            "install-plan",
            "subscription",
            "custom-resource",
            "configmap",
            "secret-list",
            "pod-list",
            "mixed-list",
        )
    )
    group, plural = "", ""
    if what == "secret":
        obj, plural = _secret(b, ns), "secrets"
    elif what == "pod":
        obj, plural = _pod(b, ns), "pods"
    elif what == "workload":
        obj, group, plural = _workload(b, ns)
    elif what == "csv":
        obj, group, plural = _csv(b, ns), OLM, "clusterserviceversions"
    elif what == "install-plan":
        obj, group, plural = _install_plan(b, ns), OLM, "installplans"
    elif what == "subscription":
        obj, group, plural = _subscription(b, ns), OLM, "subscriptions"
    elif what == "custom-resource":
        obj, group, plural = _custom_resource(b, ns)
    elif what == "configmap":
        obj, plural = _configmap(b, ns), "configmaps"
    elif what == "secret-list":
        # As the API returns a list: items without kind; the resource may be known (a request, a tree path) or not.
        items = [_secret(b, ns, with_kind=False) for _ in range(1 + b.some(2))]
        obj, plural = {"apiVersion": "v1", "kind": "SecretList", "items": items}, "secrets"
    elif what == "pod-list":
        items = [_pod(b, ns) for _ in range(1 + b.some(1))]
        for item in items:
            del item["kind"]
        obj, plural = {"apiVersion": "v1", "kind": "PodList", "items": items}, "pods"
    else:
        items = [_secret(b, ns), _pod(b, ns), _configmap(b, ns), _subscription(b, ns)]
        obj = {"apiVersion": "v1", "kind": "List", "items": items}
    if b.coin() and what != "secret":
        group, plural = "", ""  # a file outside the layout: only the kinds say what the objects are
    return Sample(obj=obj, group=group, plural=plural, canaries=b.canaries, kept=b.kept)


@st.composite
def log_with_keys(draw: st.DrawFn) -> tuple[bytes, list[str], list[str]]:
    """A container log with `timestamps=true` prefixes where some lines print a private key, as a multi-line PEM
    block or JSON-escaped on one line."""
    b = _Bag(draw)
    lines = []
    for _ in range(1 + b.some(8)):
        stamp = "2026-01-01T00:00:00.000000000Z "
        shape = b.pick(("text", "text", "pem-lines", "pem-json"))
        if shape == "text":
            lines.append(f"{stamp}level=info msg={b.name()}")
        elif shape == "pem-lines":
            lines.extend(stamp + line for line in _pem(b).splitlines())
        else:
            lines.append(f'{stamp}{{"msg":"{b.name()}","key":{json.dumps(_pem(b))}}}')
    return ("\n".join(lines) + "\n").encode(), b.canaries, b.kept
