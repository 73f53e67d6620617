"""Closing keywords in copied text, defused. Pure.

GitHub closes an issue when a merged pull request's title, body or a commit on the default branch
says `Fixes #K` (also close/closes/closed, fix/fixed, resolve/resolves/resolved; any case; an
optional colon; `#K`, `owner/repo#K` or the issue's URL). Text agentops copies from issues,
agents or tools into a PR or a comment must never close anything, so every such reference is
broken apart: `Fixes #K` becomes `Fixes # K`, `Fixes o/r#K` becomes `Fixes o/r# K` and an issue
URL loses its link (`.../issues/ K`). agentops adds its own `Closes #N` line after defusing.
"""

from __future__ import annotations

import re

KEYWORDS = r"(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)"
_REF = (r"(?:https?://[^\s/]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/(?:issues|pull)/(?=\d)"  # issue URL
        r"|(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?#(?=\d))")                            # #N or owner/repo#N
# The keyword, then a colon and/or whitespace (GitHub accepts `Fixes:#1`, `Fixes: #1`, `Fixes #1`),
# then markdown emphasis around the reference, which GitHub still reads as a reference.
CLOSING_RE = re.compile(rf"(?i)(?<![A-Za-z0-9_])({KEYWORDS})(\s*:\s*|\s+)([*_`~]*)({_REF})(\d+)")


def defuse(text: str) -> str:
    """`text` with every closing reference broken (a space after `#` or the URL's last `/`)."""
    if not text:
        return text
    return CLOSING_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{m.group(4)} {m.group(5)}", text)


def closing_references(text: str) -> list[str]:
    """The references a closing keyword in `text` points at (`#5`, `o/r#5`, an issue URL)."""
    return [m.group(4) + m.group(5) for m in CLOSING_RE.finditer(text or "")]


def neutralise(text: str) -> str:
    """Copied text made inert before agentops writes it into its own object: no HTML comment can
    open in it (`<!--` becomes `< !--`), so no agentops marker rides in on it (a marker inside our
    own comment or issue would count as ours), and its closing keywords are defused. Also inside
    code fences: agentops's marker parser does not know about fences."""
    return defuse((text or "").replace("<!--", "< !--"))
