"""Render issue-form answers the way GitHub renders a submitted form: one `### <label>` section
per field in form order, `_No response_` for an empty optional field, `None` for an unanswered
optional dropdown, `- [x]` lines for checkboxes. Markdown elements are not submitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

NO_RESPONSE = "_No response_"


def render_submission(form_yaml: str, answers: Mapping[str, str | Sequence[str]]) -> tuple[str, str, list[str]]:
    """(title prefix, body, labels) for `answers` keyed by field label."""
    import yaml

    form: dict[str, Any] = yaml.safe_load(form_yaml)
    known = {str(el.get("attributes", {}).get("label")) for el in form.get("body", []) if el.get("type") != "markdown"}
    unknown = set(answers) - known
    if unknown:
        raise ValueError(f"answers for fields the form does not have: {sorted(unknown)}")
    sections: list[str] = []
    for el in form.get("body", []):
        kind = el.get("type")
        if kind == "markdown":
            continue
        attrs = el.get("attributes", {})
        label = str(attrs.get("label"))
        value = answers.get(label)
        sections.append(f"### {label}\n\n{_value(kind, attrs, value)}")
    labels = [str(lb) for lb in form.get("labels") or []]
    return str(form.get("title") or ""), "\n\n".join(sections) + "\n", labels


def _value(kind: str, attrs: Mapping[str, Any], value: str | Sequence[str] | None) -> str:
    if kind == "checkboxes":
        chosen = {value} if isinstance(value, str) else set(value or ())
        return "\n".join(f"- [{'x' if o.get('label') in chosen else ' '}] {o.get('label')}"
                         for o in attrs.get("options", []))
    if kind == "dropdown":
        if value is None or value == "" or (not isinstance(value, str) and not value):
            return "None"
        options = [str(o) for o in attrs.get("options", [])]
        picked = [value] if isinstance(value, str) else list(value)
        bad = [p for p in picked if p not in options]
        if bad:
            raise ValueError(f"{attrs.get('label')}: {bad} not among the options {options}")
        return ", ".join(picked)
    text = value if isinstance(value, str) else "\n".join(value or ())
    return text.strip() or NO_RESPONSE
