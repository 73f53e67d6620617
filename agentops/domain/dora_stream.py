"""DORA over a long history without holding it: the incidents and deployments logs are streamed,
and only compact columns for the deploys the report's windows need stay in memory.

The report looks at the window, the previous window of equal length and the trend weeks: the
`span`. Incidents are read first and folded (one small record per id); then each deploy in the
span becomes one row of typed arrays (finish time, environment, outcome, id hash) and its commits
rows of (sha hash, commit time): about 60 bytes a deploy instead of a parsed object graph. A
deploy outside the span leaves 28 bytes (id hash, position, finish, environment: when its
environment first deployed, since a window without a deploy measures 0, not "no data", once the
environment has deployed before) and, for commits a span deploy shipped, whether an older deploy
shipped them first (then they give no lead-time sample): that needs a second pass over the
deployments log, read only when an older successful deploy exists. A deploy id recorded more than
once keeps its last record, as in the in-memory computation (`compute_dora`, which tests hold
this stream to, figure for figure).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Mapping
from itertools import chain
from typing import Any

from agentops.domain.dora import (
    _CHANGED,
    DoraReport,
    DoraTrend,
    Incident,
    IncidentFolder,
    Window,
    change,
    median,
    parse_deployment,
    restore_hours,
    snapshot_of,
    weekly_windows,
)

_SUCCEEDED, _FAILED = 1, 2
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_NO_TIME = -(2**63)  # a commit without a commit time


def _ts(t: dt.datetime) -> int:
    """Microseconds since the epoch: exact, so every comparison and duration matches datetimes'."""
    return (t - _EPOCH) // _US


def _hours(later: int, earlier: int) -> float:
    return max(0.0, (later - earlier) / 10**6 / 3600)  # as timedelta.total_seconds() / 3600


class DoraStream:
    """add_incident for every incident event, then add_deployment for every deploy event, then
    history() for every deploy event again when needs_history, then report() / trend()."""

    def __init__(self, window: Window, weeks: int) -> None:
        self.window = window
        self.weeks = weekly_windows(window.end, weeks)
        prev = window.previous()
        self.span = Window(min(prev.start, self.weeks[0].start), window.end)
        self._lo, self._hi = _ts(self.span.start), _ts(self.span.end)
        self._folder: IncidentFolder | None = IncidentFolder()
        self._incidents: dict[str, Incident] = {}
        self._incident_deploys: set[int] = set()  # hashes of deploy ids incidents name
        self._lookups: set[str] = set()  # deploy ids of environment-less incidents
        self._deploy_env: dict[str, str] = {}
        self._envs: list[str] = []
        self._env_ix: dict[str, int] = {}
        self._seq = 0
        self._hseq = 0
        # one row per span deploy
        self._fin = array("q")
        self._env = array("I")
        self._flags = array("B")
        self._idh = array("q")
        self._rseq = array("Q")
        self._cstart = array("I")
        # one row per commit of a span deploy
        self._csha = array("q")
        self._cat = array("q")  # commit time; _NO_TIME when unknown
        # deploys outside the span: id hash, position, finish and environment (to settle re-recorded
        # ids and to know when each environment first deployed)
        self._out_idh = array("q")
        self._out_seq = array("Q")
        self._out_fin = array("q")
        self._out_env = array("I")
        self._last: dict[int, int] = {}  # re-recorded id hash -> position of its last record
        self._first: dict[int, int] | None = None  # environment -> first deploy's finish
        self._older_success = False
        self._shipped_before: dict[int, set[int]] = {}
        self._wanted: dict[int, set[int]] | None = None
        self._dead: set[int] | None = None

    # -- incidents (first) ---------------------------------------------------------------------
    def add_incident(self, e: Mapping[str, Any]) -> None:
        assert self._folder is not None, "incidents come before deployments"
        self._folder.add(e)

    def _fold(self) -> None:
        folder = self._folder
        if folder is None:
            return
        self._folder = None
        prev_start = self.window.previous().start
        self._incident_deploys = {hash(d) for d in folder.deploy_ids()}
        for env in sorted(folder.environments()):
            self._ix(env)
        # Restored in one of the two windows, or still open: the only incidents a report shows.
        self._incidents = folder.result(
            keep=lambda i: i.resolved_at is None or prev_start <= i.resolved_at < self.window.end)
        self._lookups = {i.deploy_id for i in self._incidents.values()
                         if i.environment is None and i.deploy_id is not None}

    def _ix(self, env: str) -> int:
        ix = self._env_ix.get(env)
        if ix is None:
            ix = self._env_ix[env] = len(self._envs)
            self._envs.append(env)
        return ix

    # -- deployments ---------------------------------------------------------------------------
    def add_deployment(self, e: Mapping[str, Any]) -> None:
        self._fold()
        d = parse_deployment(e)
        if d is None:
            return
        self._seq += 1
        env = self._ix(d.environment)
        fin = _ts(d.finished_at)
        if d.id in self._lookups:
            self._deploy_env[d.id] = d.environment
        if not self._lo <= fin < self._hi:
            self._out_idh.append(hash(d.id))
            self._out_seq.append(self._seq)
            self._out_fin.append(fin)
            self._out_env.append(env)
            if fin < self._lo and d.status == "succeeded" and d.commits:
                self._older_success = True
            return
        idh = hash(d.id)
        self._fin.append(fin)
        self._env.append(env)
        self._flags.append((_SUCCEEDED if d.status == "succeeded" else 0)
                           | (_FAILED if d.failed or idh in self._incident_deploys else 0))
        self._idh.append(idh)
        self._rseq.append(self._seq)
        self._cstart.append(len(self._csha))
        for sha, committed in d.commits:
            self._csha.append(hash(sha))
            self._cat.append(_ts(committed) if committed is not None else _NO_TIME)

    # -- older history (second pass) -----------------------------------------------------------
    @property
    def needs_history(self) -> bool:
        self._fold()
        if not self._older_success:
            return False
        if self._wanted is None:
            dead = self._dead_rows()
            wanted: dict[int, set[int]] = {}
            for row in range(len(self._fin)):
                if row not in dead and self._flags[row] & _SUCCEEDED:
                    wanted.setdefault(self._env[row], set()).update(self._commits(row))
            self._wanted = wanted
        return any(self._wanted.values())

    def history(self, e: Mapping[str, Any]) -> None:
        d = parse_deployment(e)
        if d is None:
            return
        self._hseq += 1  # the same numbering as the first pass
        if d.status != "succeeded" or _ts(d.finished_at) >= self._lo or self._wanted is None:
            return
        h = hash(d.id)
        if h in self._last and self._last[h] != self._hseq:
            return  # a later record of this deploy replaced this one
        env = self._env_ix.get(d.environment, -1)
        wanted = self._wanted.get(env)
        if wanted:
            for sha, _ in d.commits:
                h = hash(sha)
                if h in wanted:
                    self._shipped_before.setdefault(env, set()).add(h)

    # -- results -------------------------------------------------------------------------------
    @property
    def incidents(self) -> dict[str, Incident]:
        self._fold()
        return self._incidents

    def environments(self) -> list[str]:
        self._fold()
        return sorted(self._envs)

    def _commits(self, row: int) -> list[int]:
        end = self._cstart[row + 1] if row + 1 < len(self._cstart) else len(self._csha)
        return list(self._csha[self._cstart[row]:end])

    def _dead_rows(self) -> set[int]:
        """Rows a later record of the same deploy id replaced (rare: a log merged twice)."""
        if self._dead is not None:
            return self._dead
        hashes = sorted(chain(self._idh, self._out_idh))
        dups = {a for a, b in zip(hashes, hashes[1:], strict=False) if a == b}
        del hashes
        dead: set[int] = set()
        if dups:
            last: dict[int, tuple[int, int]] = {}
            for h, seq in zip(self._out_idh, self._out_seq, strict=True):
                if h in dups and seq > last.get(h, (-1, -1))[0]:
                    last[h] = (seq, -1)
            for row, (h, seq) in enumerate(zip(self._idh, self._rseq, strict=True)):
                if h in dups and seq > last.get(h, (-1, -1))[0]:
                    last[h] = (seq, row)
            dead = {row for row, h in enumerate(self._idh) if h in dups and last[h][1] != row}
            self._last = {h: seq for h, (seq, _) in last.items()}
        self._dead = dead
        return dead

    def _first_deploys(self) -> dict[int, int]:
        """Each environment's first deploy (finish time), over the records still standing."""
        if self._first is None:
            dead = self._dead_rows()
            first: dict[int, int] = {}
            for row, (fin, env) in enumerate(zip(self._fin, self._env, strict=True)):
                if row not in dead and (env not in first or fin < first[env]):
                    first[env] = fin
            for h, seq, fin, env in zip(self._out_idh, self._out_seq, self._out_fin, self._out_env, strict=True):
                if (h not in self._last or self._last[h] == seq) and (env not in first or fin < first[env]):
                    first[env] = fin
            self._first = first
        return self._first

    def _rows(self, environment: str) -> tuple[list[int], array[int], array[float]]:
        """The environment's live rows by finish time, and its lead-time samples (shipped, hours)."""
        env = self._env_ix.get(environment)
        dead = self._dead_rows()
        rows = sorted((r for r in range(len(self._fin)) if self._env[r] == env and r not in dead),
                      key=lambda r: self._fin[r])
        seen = set(self._shipped_before.get(env, ())) if env is not None else set()
        shipped, hours = array("q"), array("d")
        for r in rows:
            if not self._flags[r] & _SUCCEEDED:
                continue
            end = self._cstart[r + 1] if r + 1 < len(self._cstart) else len(self._csha)
            for c in range(self._cstart[r], end):
                h = self._csha[c]
                if h in seen:
                    continue
                seen.add(h)
                at = self._cat[c]
                if at != _NO_TIME:
                    shipped.append(self._fin[r])
                    hours.append(_hours(self._fin[r], at))
        return rows, shipped, hours

    def _counts(self, rows: list[int], w: Window) -> tuple[int, int]:
        lo, hi = _ts(w.start), _ts(w.end)
        inside = [r for r in rows if lo <= self._fin[r] < hi]
        return len(inside), sum(1 for r in inside if self._flags[r] & _FAILED)

    @staticmethod
    def _lead(shipped: array[int], hours: array[float], w: Window) -> list[float]:
        lo, hi = _ts(w.start), _ts(w.end)
        return [h for s, h in zip(shipped, hours, strict=True) if lo <= s < hi]

    def report(self, environment: str) -> DoraReport:
        rows, shipped, hours = self._rows(environment)
        env = self._env_ix.get(environment)
        first = self._first_deploys().get(env) if env is not None else None
        deploy_ids = {k for k, v in self._deploy_env.items() if v == environment}
        env_incidents = [i for i in self.incidents.values()
                         if i.environment == environment or (i.environment is None and i.deploy_id in deploy_ids)]

        def snap(w: Window) -> Any:
            n, failed = self._counts(rows, w)
            return snapshot_of(w, first is not None and first < _ts(w.end), n, failed,
                               self._lead(shipped, hours, w), restore_hours(env_incidents, w))

        cur, prev = snap(self.window), snap(self.window.previous())
        changes = {name: change(getattr(cur, name), getattr(prev, name)) for name in _CHANGED}
        open_ids = tuple(sorted(i.id for i in env_incidents
                                if i.resolved_at is None and (i.opened_at is None or i.opened_at < self.window.end)))
        return DoraReport(environment, cur, prev, changes, open_ids)

    def trend(self, environment: str) -> DoraTrend:
        rows, shipped, hours = self._rows(environment)
        counts: list[int] = []
        lead_meds: list[float | None] = []
        cfrs: list[float | None] = []
        for w in self.weeks:
            n, failed = self._counts(rows, w)
            counts.append(n)
            lead_meds.append(median(self._lead(shipped, hours, w)))
            cfrs.append(failed / n if n else None)
        return DoraTrend(tuple(w.start for w in self.weeks), tuple(counts), tuple(lead_meds), tuple(cfrs))
