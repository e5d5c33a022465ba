"""An operator's own must-gather image, as its CSV names it: the annotation and the command that runs it. Shared
by the gather (gather.json), the analysis (from the gathered CSV file) and the CLI summary."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

ANNOTATION = "operators.openshift.io/must-gather-image"


def image(annotations: object) -> str:
    """The image a CSV's `metadata.annotations` names, "" when none (or the annotations are not a mapping)."""
    value = annotations.get(ANNOTATION) if isinstance(annotations, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def command(image_ref: str) -> str:
    """The exact command a user runs for it; quoted only when the reference needs it in a shell."""
    return f"oc adm must-gather --image={shlex.quote(image_ref)}"
