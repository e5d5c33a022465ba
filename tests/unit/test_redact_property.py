"""Property tests of the redaction gate: generated Kubernetes and OLM objects (tests/unit/k8s_objects.py) with
canaries in every value position the promise covers; no canary may survive in any encoding, and every name, key
and plain setting must stay.

The example counts and the seed are fixed so `make test` stays bounded (about 10,000 objects); a longer run:

    OLM_GATHER_PROPERTY_EXAMPLES=20000 .venv/bin/pytest tests/unit/test_redact_property.py -q
"""

from __future__ import annotations

import base64
import json
import os

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from olm_gather import _redact, _yaml
from tests.unit import k8s_objects

OBJECTS_PER_EXAMPLE = 8
EXAMPLES = int(os.environ.get("OLM_GATHER_PROPERTY_EXAMPLES", "1250"))
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def forms(canary: str) -> list[str]:
    """A canary as it could leak: plain, base64, double base64, JSON-escaped once and twice."""
    once = base64.b64encode(canary.encode())
    return [
        canary,
        once.decode(),
        base64.b64encode(once).decode(),
        json.dumps(canary)[1:-1],
        json.dumps(json.dumps(canary))[1:-1],
    ]


def _check(sample: k8s_objects.Sample) -> None:
    before = json.dumps(sample.obj)
    redacted = _redact.redact(sample.obj, group=sample.group, plural=sample.plural)
    text = _yaml.dump(redacted.obj).decode("utf-8")
    assert json.dumps(sample.obj) == before, "the input was modified"
    # Every canary starts with the prefix, so this also catches one the sample forgot to list.
    assert k8s_objects.CANARY_PREFIX[:4] not in text, text
    for canary in sample.canaries:
        for form in forms(canary):
            assert form not in text, (form, text)
    for kept in sample.kept:
        assert kept in text, (kept, text)
    assert _redact.redact(redacted.obj, group=sample.group, plural=sample.plural).counts == {}, "not idempotent"


def test_no_canary_survives_and_names_stay() -> None:
    seen = {"objects": 0, "canaries": 0}

    @seed(11)
    @_SETTINGS
    @given(st.lists(k8s_objects.gathered(), min_size=OBJECTS_PER_EXAMPLE, max_size=OBJECTS_PER_EXAMPLE))
    def run(samples: list[k8s_objects.Sample]) -> None:
        for sample in samples:
            _check(sample)
            seen["objects"] += 1
            seen["canaries"] += len(sample.canaries)

    run()
    # Hypothesis runs every example here (no shrinking when all pass), so the count is what the docstring says.
    assert seen["objects"] >= EXAMPLES * OBJECTS_PER_EXAMPLE, seen
    print(f"\n{seen['objects']} objects, {seen['canaries']} canaries")


@seed(11)
@settings(max_examples=300, deadline=None, database=None)
@given(k8s_objects.log_with_keys(), st.lists(st.integers(1, 200), min_size=1, max_size=20))
def test_logs_lose_private_keys_at_any_chunking(log: tuple[bytes, list[str], list[str]], cuts: list[int]) -> None:
    data, canaries, kept = log
    pieces, at = [], 0
    for size in cuts * (len(data) // max(1, sum(cuts)) + 1):
        pieces.append(data[at : at + size])
        at += size
    pieces.append(data[at:])
    log_filter = _redact.LogFilter()
    out = (b"".join(log_filter.feed(p) for p in pieces) + log_filter.finish()).decode()
    for canary in canaries:
        for form in forms(canary):
            assert form not in out
    for name in kept:
        assert name in out
