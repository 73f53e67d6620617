#!/usr/bin/env python3
"""Copy the webhook payloads the event router's tests use out of @octokit/webhooks-examples.

    npm pack @octokit/webhooks-examples && tar xzf octokit-webhooks-examples-*.tgz
    python scripts/trim_webhooks.py package/api.github.com/index.json tests/fixtures/webhooks

Each payload is kept as GitHub sent it, minus the hypermedia `*_url` links (except
`html_url`), which no code reads and which make up most of the bytes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# (event, action, index among that event's examples with that action) -> file name
PICKS = (
    ("issues", "opened", 0), ("issues", "labeled", 0), ("issues", "edited", 0), ("issues", "reopened", 0),
    ("issues", "unlabeled", 0), ("pull_request", "closed", 0), ("pull_request", "opened", 0),
    ("pull_request_review", "submitted", 0), ("pull_request_review_comment", "created", 0),
    ("issue_comment", "created", 0), ("check_suite", "completed", 0), ("check_run", "completed", 0),
    ("workflow_run", "completed", 2), ("workflow_dispatch", None, 0), ("ping", None, 0),
)


def trim(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: trim(v) for k, v in node.items() if not (k.endswith("_url") and k != "html_url")}
    if isinstance(node, list):
        return [trim(v) for v in node]
    return node


def main(index: str, out: str) -> int:
    events = {e["name"]: e["examples"] for e in json.loads(Path(index).read_text(encoding="utf-8"))}
    dest = Path(out)
    for event, action, nth in PICKS:
        matching = [x for x in events[event] if x.get("action") == action]
        name = f"{event}.{action}.json" if action else f"{event}.json"
        (dest / name).write_text(json.dumps(trim(matching[nth]), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
