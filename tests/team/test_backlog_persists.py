"""`play --label/--milestone` starts a backlog that outlives its own pass: later events, the
scheduled tick and `claim`/`work` start only its tasks (and what they depend on) until
`play --stop`; `status` and `report` show it by stage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentops.commands.claim import ClaimOptions
from agentops.commands.claim import run as claim
from agentops.commands.play import PlayOptions, PlayResult
from agentops.commands.play import run as play
from agentops.commands.status import StatusOptions
from agentops.commands.status import run as status
from agentops.domain.backlog_scope import backlog_key
from agentops.errors import BadInput, StateError
from agentops.state import docs
from tests.events.conftest import MAINTAINER, REPO, Hub, config, form

TICK = {"schedule": "7,23,37,53 * * * *", "repository": {"full_name": REPO}}


def _play(hub: Hub, **kw: Any) -> PlayResult:
    return play(PlayOptions(repo=REPO, **kw), hub.ctx())


def _issue(hub: Hub, title: str, *, labels: tuple[str, ...] = (), **form_kw: Any) -> int:
    return int(hub.state.create_issue(REPO, title, form(**form_kw), author=MAINTAINER,
                                      labels=["agent-task", *labels]))


def _started(hub: Hub) -> list[int]:
    return [int(d["inputs"]["issue"]) for d in hub.dispatches() if d["inputs"].get("mode") == "code"]


def test_events_and_tick_stay_within_the_backlog_until_stop(hub: Hub) -> None:
    a = _issue(hub, "a", labels=("sprint-1",))
    r = _play(hub, labels=("sprint-1",))
    assert [d.issue for d in r.dispatched] == [a] and r.backlog is not None
    outside = _issue(hub, "outside", priority="critical")
    assert not hub.deliver("issues", hub.issue_payload("opened", outside)).dispatched
    assert not hub.deliver("schedule", TICK).dispatched
    later = _issue(hub, "filed later, in the sprint", labels=("sprint-1",))  # a backlog is a selection
    assert [d.issue for d in hub.deliver("issues", hub.issue_payload("opened", later)).dispatched] == [later]
    assert _started(hub) == [a, later]

    stopped = _play(hub, stop=True)
    assert stopped.stopped and stopped.replaced is not None and stopped.replaced.selection.labels == ("sprint-1",)
    assert hub.ctx().store.get(docs.TASK_QUEUE, backlog_key(REPO)) is None
    assert [d.issue for d in hub.deliver("schedule", TICK).dispatched] == [outside]


def test_a_backlog_task_waiting_on_a_task_outside_it_brings_that_one_in(hub: Hub) -> None:
    dep = _issue(hub, "groundwork")
    a = _issue(hub, "a", labels=("sprint-1",), deps=f"#{dep}")
    other = _issue(hub, "unrelated")
    r = _play(hub, labels=("sprint-1",))
    assert {t.number for t in r.tasks} == {dep, a} and [d.issue for d in r.dispatched] == [dep]
    repo = hub.state.repo(REPO)
    hub.state.close(hub.state.issue(repo, dep), MAINTAINER, "completed")
    got = hub.deliver("issues", hub.issue_payload("closed", dep, base="issues.reopened"))
    assert [d.issue for d in got.dispatched] == [a] and other not in _started(hub)


def test_a_worker_claiming_its_own_task_stays_within_the_backlog(hub: Hub) -> None:
    hub.cfg = config(max_parallel=0)  # nothing dispatched: workers pick tasks themselves
    _issue(hub, "outside", priority="critical")
    a = _issue(hub, "a", labels=("sprint-1",), priority="low")
    _play(hub, labels=("sprint-1",))
    got = claim(ClaimOptions(agent="a1", repo=REPO), hub.ctx())
    assert got.claimed is not None and got.claimed.issue == a


def test_status_and_report_show_the_backlog_by_stage(hub: Hub) -> None:
    hub.cfg = config(max_parallel=1)
    a = _issue(hub, "a", labels=("sprint-1",), priority="high")
    _issue(hub, "b", labels=("sprint-1",))
    _issue(hub, "c")
    _play(hub, labels=("sprint-1",))
    [b] = status(StatusOptions(), hub.ctx()).backlogs
    assert (b["repo"], b["labels"], b["selection"], b["tasks"]) == (REPO, ["sprint-1"], "label sprint-1", 2)
    assert b["stages"] == {"authoring": 1, "queued": 1} and b["keys"][0] == f"{REPO}#{a}"

    from agentops.commands.report import ReportOptions
    from agentops.commands.report import run as report
    r = report(ReportOptions(repo=REPO, offline=True, save=False), hub.ctx())
    [rb] = r.report.backlogs
    assert rb["stages"] == {"authoring": 1, "queued": 1}
    assert "Active backlog of octo/app (label sprint-1" in r.markdown and "2 tasks: queued 1 · authoring 1" in r.markdown

    # The dashboard page shows it too (the label comes from a maintainer, but it is escaped like any text).
    from html.parser import HTMLParser

    from agentops.commands.report import dashboard_html

    page, texts = dashboard_html(hub.ctx(), r.report), []
    parser = HTMLParser()
    parser.handle_data = texts.append  # type: ignore[method-assign]
    parser.feed(page)
    assert "Active backlog of octo/app (label sprint-1, since " in "".join(texts)
    assert "2 tasks: queued 1 · authoring 1" in "".join(texts)


def test_stop_takes_no_selection(hub: Hub) -> None:
    with pytest.raises(BadInput):
        _play(hub, stop=True, labels=("x",))


@pytest.mark.parametrize("record", [
    {"kind": "backlog", "repo": REPO, "labels": "sprint-1", "milestone": None},
    {"kind": "backlog", "repo": REPO, "labels": [""], "milestone": None},
    {"kind": "backlog", "repo": REPO, "labels": [], "milestone": 7},
    {"kind": "backlog", "repo": "no-slash", "labels": [], "milestone": None},
])
def test_a_corrupt_backlog_record_is_bad_state_never_every_task(hub: Hub, record: dict[str, Any]) -> None:
    """Fail closed: a backlog that cannot be read stops dispatch (exit 2 naming the file and the
    record) instead of widening to every task; `play` replaces it and `play --stop` clears it."""
    n = _issue(hub, "a")
    hub.ctx().store.put(docs.TASK_QUEUE, backlog_key(REPO), record)
    with pytest.raises(StateError) as err:
        hub.deliver("issues", hub.issue_payload("opened", n))
    assert "task-queue.json" in err.value.message and backlog_key(REPO) in err.value.message
    with pytest.raises(StateError):
        status(StatusOptions(), hub.ctx())
    assert _started(hub) == []
    assert _play(hub, stop=True).replaced is None
    assert [d.issue for d in hub.deliver("schedule", TICK).dispatched] == [n]


def test_cli_play_status_and_stop(hub: Hub) -> None:
    from tests.events.test_play import _run

    _issue(hub, "a", labels=("sprint-1",))
    p = _run(hub, "play", "--label", "sprint-1")
    assert p.returncode == 0, p.stderr
    assert "play --stop" in p.stderr
    s = _run(hub, "status")
    assert s.returncode == 0, s.stderr
    assert any("backlog of octo/app (label sprint-1" in line and "authoring 1" in line for line in s.stderr.splitlines())
    doc = json.loads(_run(hub, "status", "--json").stdout)
    assert [b["selection"] for b in doc["backlogs"]] == ["label sprint-1"]
    stop = _run(hub, "play", "--stop", "--json")
    assert stop.returncode == 0 and json.loads(stop.stdout)["stopped"] is True
    assert json.loads(_run(hub, "status", "--json").stdout)["backlogs"] == []
    bad = _run(hub, "play", "--stop", "--label", "x")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
