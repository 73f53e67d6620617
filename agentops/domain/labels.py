"""The labels agentops reads and writes on GitHub, with the colour and description `init`
gives them. Names come from the modules that use them, so a rename cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from agentops.domain.claims import BLOCKED_LABEL, CLAIMED_LABEL, NEEDS_HUMAN_LABEL
from agentops.domain.deploy import INCIDENT_LABEL
from agentops.domain.workorder import TASK_LABEL

SCOUT_LABEL = "agentops:scout"
# ClaimsConfig.approval_label's default; init also creates a configured one.
APPROVED_LABEL = "agentops:approved"


@dataclass(frozen=True)
class LabelSpec:
    name: str
    color: str  # six hex digits, no '#'
    description: str  # GitHub caps descriptions at 100 characters


LABELS: tuple[LabelSpec, ...] = (
    LabelSpec(TASK_LABEL, "1d76db", "A work order for an agentops coding agent"),
    LabelSpec(CLAIMED_LABEL, "0e8a16", "An agent holds a lease on this task"),
    LabelSpec(BLOCKED_LABEL, "fbca04", "Waiting for a dependency to close"),
    LabelSpec(NEEDS_HUMAN_LABEL, "d93f0b", "agentops stopped: a person has to look"),
    LabelSpec(APPROVED_LABEL, "5319e7", "A maintainer approved this work order for agents"),
    LabelSpec(SCOUT_LABEL, "c5def5", "Filed by the agentops repo scout"),
    LabelSpec(INCIDENT_LABEL, "b60205", "A failed or rolled-back deploy"),
    LabelSpec("priority:critical", "b60205", "Do first"),
    LabelSpec("priority:high", "d93f0b", "Do soon"),
    LabelSpec("priority:medium", "fbca04", "Normal priority"),
    LabelSpec("priority:low", "c2e0c6", "When nothing else is ready"),
)


def label_set(approval_label: str = APPROVED_LABEL) -> tuple[LabelSpec, ...]:
    """LABELS, plus the configured approval label when it is not the default."""
    if approval_label and all(spec.name != approval_label for spec in LABELS):
        return (*LABELS, LabelSpec(approval_label, "5319e7", "A maintainer approved this work order for agents"))
    return LABELS
