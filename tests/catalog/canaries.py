"""Canary strings: literal values that the test operators carry where olm-gather must redact them.

Every canary matches `CANARY_PATTERN`, so a test can both assert that none of `ALL` appears in a gathered tree
and grep for the pattern to catch a canary this list forgot. Secret values are exactly one canary each, so the
base64 form a Secret's `data` holds is `base64(canary)` and `forms()` can list it.

Where each one ends up in a cluster after OLM installs the package (see tests/catalog/README.md):
- `*_ENV_*`: a literal `env[].value` of the operator Deployment's pod template, hence in the CSV's
  `spec.install.spec.deployments`, the Deployment, its ReplicaSets and Pods, copied CSVs, and the CSV step's
  `manifest` in the InstallPlan's `status.plan[]`.
- `ALPHA_SECRET_DATA` / `ALPHA_SECRET_STRING_DATA`: the bundle Secret `ogt-alpha-credentials` (`data` holds both,
  base64) and, as written in the bundle (base64 for `data`, plain for `stringData`), the InstallPlan's
  `BundleSecret` step manifest.
- `SUBSCRIPTION_CONFIG_ENV`: in no package; for tests to put into a Subscription's `spec.config.env`.
"""

from __future__ import annotations

import base64
import re

CANARY_PATTERN = re.compile(r"ogt-canary-[a-z0-9-]+")

ALPHA_ENV_DB_PASSWORD = "ogt-canary-alpha-env-db-password-4f1c9a"
ALPHA_ENV_API_TOKEN = "ogt-canary-alpha-env-api-token-8b27e0"
# An innocent-looking variable name: redaction must not depend on the name sounding secret.
ALPHA_ENV_WATCH_LABEL = "ogt-canary-alpha-env-watch-label-1d6f3b"
ALPHA_SECRET_DATA = "ogt-canary-alpha-secret-data-93c0de"
ALPHA_SECRET_STRING_DATA = "ogt-canary-alpha-secret-stringdata-5a7e21"
BETA_ENV_LICENSE_KEY = "ogt-canary-beta-env-license-key-c4e8f2"
GLOBAL_ENV_SHARED_SECRET = "ogt-canary-global-env-shared-secret-0b9d47"
LIB_ENV_TOKEN = "ogt-canary-lib-env-token-6e2a15"
NEEDS_LIB_ENV_TOKEN = "ogt-canary-needs-lib-env-token-f3b870"
UPGRADE_V1_ENV_PASSWORD = "ogt-canary-upgrade-v1-env-password-2c5d9e"
UPGRADE_V2_ENV_PASSWORD = "ogt-canary-upgrade-v2-env-password-7a14bc"
NEVER_READY_ENV_PASSWORD = "ogt-canary-never-ready-env-password-e61f08"
CRASHLOOP_ENV_PASSWORD = "ogt-canary-crashloop-env-password-9d3c5a"
SUPPORT_ENV_TOKEN = "ogt-canary-support-env-token-5a0e7d"
SUBSCRIPTION_CONFIG_ENV = "ogt-canary-subscription-config-env-b8e046"
TWIN_ENV_TOKEN = "ogt-canary-twin-env-token-5e0b93"
MULTI_API_ENV_TOKEN = "ogt-canary-multi-api-env-token-a81c4d"
HOOKS_ENV_TOKEN = "ogt-canary-hooks-env-token-37f2e9"
CHAIN_ENV_TOKEN = "ogt-canary-chain-env-token-c06d18"

ALL: tuple[str, ...] = tuple(
    value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str)
)


def forms(canary: str) -> tuple[str, str]:
    """The canary as written and as a Secret's `data` stores it (standard base64)."""
    return canary, base64.b64encode(canary.encode()).decode()


def all_forms() -> tuple[str, ...]:
    """Every form of every canary: what a redacted tree must not contain."""
    return tuple(form for canary in ALL for form in forms(canary))
