"""Fake author and reviewer CLIs for the pipeline e2e (command backend): small programs that act
on the prompt agentops gives them, as a real agent would, inside their worktree (the only place
their sandbox lets them write; the prompts they got are kept by agentops in state/)."""

from __future__ import annotations

import stat
from pathlib import Path

AUTHOR = r'''#!/usr/bin/env python3
import json, os, re, subprocess, sys
from pathlib import Path

prompt = Path(sys.argv[1]).read_text()
name = next((n for n in ("add", "mul", "div", "dup") if f"[{n}]" in prompt), "misc")


def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True)


if "resolving merge conflicts" in prompt:
    base = re.search(r"git merge --no-commit --no-ff (\S+)`", prompt).group(1)
    git("merge", "--no-commit", "--no-ff", base)
    for f in git("diff", "--name-only", "--diff-filter=U").stdout.split():
        theirs = git("show", f"{base}:{f}").stdout.splitlines()
        ours = git("show", f"HEAD:{f}").stdout.splitlines()
        Path(f).write_text("\n".join(theirs + [l for l in ours if l not in theirs]) + "\n")
        git("add", f)
    print("Merged the base branch and kept both sides.")
elif "address the reviewers' comments" in prompt:
    Path(f"test_{name}.py").write_text(f"from {name} import {name}\n\ndef test_{name}():\n    assert {name}(2, 1)\n")
    print("Added the test the reviewer asked for.")
elif "fixing failing CI" in prompt:
    with open(f"{name}.py", "a") as fh:
        fh.write(f"# fix after CI: {len(prompt)}\n")
    print("Fixed the failing test.")
else:
    Path(f"{name}.py").write_text(f"def {name}(a, b):\n    return a {'+' if name in ('add', 'dup') else '*'} b\n")
    if name == "dup":
        Path("test_add.py").write_text("from add import add\n\ndef test_add_again():\n    assert add(1, 1) == 2\n")
        Path("add.py").write_text("def add(a, b):\n    return b + a\n")
    print(f"Implemented {name}.")
'''

REVIEWER = r'''#!/usr/bin/env python3
import json, sys
from pathlib import Path

prompt = Path(sys.argv[1]).read_text()
diff = prompt.split("Diff:", 1)[1]
missing = "+++ b/add.py" in diff and "+++ b/test_add.py" not in diff
verdict = {"verdict": "request_changes" if missing else "approve",
           "summary": "add() has no test" if missing else "meets the acceptance criteria",
           "comments": [{"path": "add.py", "line": 2, "body": "add a test for add()"}] if missing else []}
Path(".agentops").mkdir(exist_ok=True)
Path(".agentops/verdict.json").write_text(json.dumps(verdict))
print("Review written.")
'''


def install(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in (("author", AUTHOR), ("reviewer", REVIEWER)):
        p = folder / name
        p.write_text(text)
        p.chmod(p.stat().st_mode | stat.S_IEXEC)
        out.append(p)
    return out[0], out[1]
