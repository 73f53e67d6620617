"""What the pipeline did on one pull request, in its `pr-N` progress record (the record `report`'s
pipeline figures and every view's stage read, domain.review_metrics and domain.stage):

- `rounds_log`: each remediation round the router dispatched, with what triggered it (written by
  the router, once per round key however often the event arrives);
- `round_ends`: per kind, when the last round of that kind ended (written by the round's own run);
  a logged round dispatched before that moment is finished. Two fields, two writers: the state's
  field-by-field merge keeps both when the router's and the round's state meet;
- `overrides`: each time a person decided against the review agent's standing verdict (merged
  a PR it asked changes on, or asked changes on a head it approved), once per event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from agentops.context import Context
from agentops.domain.claims import iso
from agentops.state import docs

ROUND_KINDS = {"address-review": "review", "fix-ci": "ci", "resolve-conflicts": "conflict"}


def _update(ctx: Context, repo: str, pr: int, fn: Callable[[dict[str, Any]], bool]) -> None:
    def upd(doc: Any) -> None:
        rec = dict(doc.get(f"pr-{pr}") or {})
        rec["pr"] = pr
        if fn(rec):
            doc.put(f"pr-{pr}", rec)

    ctx.store.update(docs.progress(repo), upd)


def log_round(ctx: Context, repo: str, pr: int, *, mode: str, key: str, trigger: str | None, agent: str) -> None:
    entry = {"kind": ROUND_KINDS.get(mode, mode), "key": key, "trigger": trigger, "agent": agent, "at": iso(ctx.clock())}

    def add(rec: dict[str, Any]) -> bool:
        log = [e for e in rec.get("rounds_log") or [] if isinstance(e, dict)]
        if any(e.get("key") == key for e in log):
            return False
        rec["rounds_log"] = [*log, entry]
        return True

    _update(ctx, repo, pr, add)


def end_round(ctx: Context, repo: str, pr: int, kind: str) -> None:
    """The round of `kind` ("review" | "ci" | "conflict") running on the PR ended, whatever its outcome."""
    def end(rec: dict[str, Any]) -> bool:
        raw = rec.get("round_ends")
        ends: dict[str, Any] = raw if isinstance(raw, dict) else {}
        rec["round_ends"] = {**ends, kind: iso(ctx.clock())}
        return True

    _update(ctx, repo, pr, end)


def note_override(ctx: Context, repo: str, pr: int, *, kind: str, event: str, by: str, sha: str) -> bool:
    """Record a person overriding the review agent (once per event). True when newly recorded."""
    added: list[bool] = []

    def add(rec: dict[str, Any]) -> bool:
        have = [o for o in rec.get("overrides") or [] if isinstance(o, dict)]
        if any(o.get("event") == event for o in have):
            return False
        rec["overrides"] = [*have, {"kind": kind, "event": event, "by": by, "sha": sha, "at": iso(ctx.clock())}]
        added.append(True)
        return True

    _update(ctx, repo, pr, add)
    return bool(added)


def agent_verdict(ctx: Context, repo: str, pr: int, sha: str) -> str | None:
    """The review agent's latest verdict on this head (approve | request_changes), if it gave one."""
    rec = ctx.store.get(docs.progress(repo), f"pr-{pr}") or {}
    found = [v for v in rec.get("reviews") or () if isinstance(v, dict) and v.get("sha") == sha and v.get("verdict")]
    return str(found[-1]["verdict"]) if found else None


def note_mergeable_unknown(ctx: Context, repo: str, pr: int, *, base: str, head: str) -> None:
    """GitHub still had not worked out whether the PR merges after the bounded re-reads: the
    scheduled tick looks again (`unknown_mergeability`), since no event may come for a while."""
    def add(rec: dict[str, Any]) -> bool:
        want = {"base": base, "head": head}
        if rec.get("mergeable_unknown") == want:
            return False
        rec["mergeable_unknown"] = want
        return True

    _update(ctx, repo, pr, add)


def clear_mergeable_unknown(ctx: Context, repo: str, pr: int) -> None:
    """GitHub answered (or the PR closed): nothing left to look at. Set to None, not deleted, so
    the field-by-field merge of two copies of the state cannot bring an old note back."""
    def drop(rec: dict[str, Any]) -> bool:
        if rec.get("mergeable_unknown") is None:
            return False
        rec["mergeable_unknown"] = None
        return True

    if (ctx.store.get(docs.progress(repo), f"pr-{pr}") or {}).get("mergeable_unknown") is not None:
        _update(ctx, repo, pr, drop)


def unknown_mergeability(ctx: Context, repo: str) -> list[int]:
    """The PRs whose mergeability was last recorded unknown, lowest number first."""
    out = []
    for key, rec in ctx.store.records(docs.progress(repo)).items():
        if key.startswith("pr-") and isinstance(rec, dict) and isinstance(rec.get("mergeable_unknown"), dict):
            pr = rec.get("pr")
            if isinstance(pr, int) and not isinstance(pr, bool):
                out.append(pr)
    return sorted(out)


def expire_rounds(ctx: Context, repo: str) -> list[str]:
    """Rounds the router dispatched whose run never reported an end (lost, or never started) within
    the dispatch's lease plus the round agent's own timeout, the longest a started run can take:
    marked `finished` and `stale`, so the PR's stage stops saying "fixing CI" or "resolving
    conflicts" for a run that will never come. Returns "pr-N key" for each one marked. The round
    still counts against `code.max_rounds` (it was dispatched)."""
    from agentops.domain.stage import running_rounds
    from agentops.domain.timeutil import parse_time

    timeouts = {a.name: a.timeout_s for a in ctx.config.agents}
    default_s = max(timeouts.values(), default=1800)
    now = ctx.clock()

    def overdue(r: Any) -> bool:
        at = parse_time(r.get("at"))
        budget = dt.timedelta(minutes=ctx.config.claims.lease_minutes,
                              seconds=timeouts.get(str(r.get("agent")), default_s))
        return at is not None and at + budget <= now

    out: list[str] = []
    for name, rec in ctx.store.records(docs.progress(repo)).items():
        pr = rec.get("pr")
        if not name.startswith("pr-") or not isinstance(pr, int) or isinstance(pr, bool):
            continue
        keys = {str(r.get("key")) for r in running_rounds(rec) if overdue(r)}
        if not keys:
            continue

        def mark(rec: dict[str, Any], keys: set[str] = keys) -> bool:
            log = [dict(e) for e in rec.get("rounds_log") or [] if isinstance(e, dict)]
            for e in log:
                if str(e.get("key")) in keys and not e.get("finished"):
                    e.update(finished=True, stale=iso(now))
            rec["rounds_log"] = log
            return True

        _update(ctx, repo, pr, mark)
        out.extend(f"pr-{pr} {k}" for k in sorted(keys))
    return out
