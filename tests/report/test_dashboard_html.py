"""The dashboard page as markup: self-contained, every section, hostile text escaped everywhere, and the
DAG's layers (the browser test, test_dashboard_browser.py, checks how it renders)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from agentops.commands.init import template_files
from agentops.domain.dashboard import QueueTask, dag_layers
from agentops.domain.dashboard_html import SECTIONS
from agentops.domain.taskkey import natural_key
from tests.report.dashboard_seed import CONFIG, HOSTILE_AGENT, HOSTILE_TEST, HOSTILE_TITLE, REPO, seed


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def render(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    seed(tmp_path / "state", dt.datetime.now(dt.UTC).replace(microsecond=0))
    (tmp_path / "agentops.yaml").write_text(CONFIG)
    return subprocess.run([sys.executable, "-m", "agentops", "report", "--offline", "-R", REPO, "--format", "html",
                           *args], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               "AGENTOPS_STATE_DIR": str(tmp_path / "state")})


def test_page_is_self_contained_with_every_section_and_hostile_text_escaped(tmp_path: Path) -> None:
    res = render(tmp_path)
    assert res.returncode == 0, res.stderr
    page = res.stdout
    parsed = Elements()
    parsed.feed(page)
    tags = [t for t, _a in parsed.tags]
    assert [a.get("id") for t, a in parsed.tags if t == "section"] == list(SECTIONS)
    # Self-contained: nothing fetched, nothing executed.
    assert "script" not in tags and "img" not in tags and "link" not in tags and "iframe" not in tags
    for _tag, attrs in parsed.tags:
        assert not any(k.startswith("on") for k in attrs), attrs
        assert "src" not in attrs
        href = attrs.get("href") or ""
        assert href.startswith(("#", "https://", "url(#")) or not href, href
    assert "http-equiv=\"Content-Security-Policy\"" in page and "default-src 'none'" in page
    assert "@import" not in page and "url(http" not in page
    assert tags.count("svg") >= 9
    # Hostile strings come back as text, unchanged, and never as markup.
    text = "".join(parsed.text)
    for hostile in (HOSTILE_TITLE, HOSTILE_AGENT[:20], HOSTILE_TEST):
        assert hostile[:20] in text, hostile
    assert "<script>" not in page and "<img" not in page and "onerror=" not in page.replace("onerror=&quot;", "")
    assert "javascript:" not in page  # the task whose URL is javascript: is shown without a link


def test_output_file_and_format_errors(tmp_path: Path) -> None:
    res = render(tmp_path, "--output", "site/index.html")
    assert res.returncode == 0 and res.stdout == ""
    assert (tmp_path / "site" / "index.html").read_text().startswith("<!DOCTYPE html>")
    res = subprocess.run([sys.executable, "-m", "agentops", "report", "--offline", "-R", REPO, "--output", "x.html"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                              "AGENTOPS_STATE_DIR": str(tmp_path / "state")})
    assert res.returncode == 2 and "--output" in res.stderr and not (tmp_path / "x.html").exists()


def _t(n: int, *deps: int) -> QueueTask:
    return QueueTask(f"o/r#{n}", "o/r", n, f"t{n}", "ready", "high", "", None, tuple(f"o/r#{d}" for d in deps))


def test_dag_layers_hold_cycles_and_sort_naturally() -> None:
    layers, held = dag_layers([_t(10), _t(2), _t(3, 2, 10), _t(4, 3), _t(7, 8), _t(8, 7), _t(9, 99)])
    assert [[t.number for t in layer] for layer in layers] == [[2, 9, 10], [3], [4]]  # 99 is not open: no edge
    assert [t.number for t in held] == [7, 8]
    assert sorted(["o/r#10", "o/r#2", "a/b#1", "o/r#1"], key=natural_key) == ["a/b#1", "o/r#1", "o/r#2", "o/r#10"]


def test_readme_pages_snippet_is_a_pinned_job_running_the_html_report() -> None:
    import re

    import yaml

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"### Dashboard page.*?```yaml\n(.*?)```", readme, re.S)
    assert block is not None
    job = yaml.safe_load(block.group(1))["pages"]
    assert job["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    remote = [u for u in uses if not u.startswith("$/")]
    assert remote and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in remote), uses
    local = next(s for s in job["steps"] if s.get("uses") == "$/.github/actions/agentops")
    assert local["with"]["args"] == "report --offline --format html --output site/index.html"
    # The local action is the one init writes.
    assert ".github/actions/agentops/action.yml" in dict(template_files())
