"""Task keys ("owner/repo#N") as people read them: sorted by repository, then by number as a number
(#2 before #10), and shortened for narrow tables without ever losing the number."""

from __future__ import annotations

from collections.abc import Iterable


def natural_key(key: str) -> tuple[str, int, str]:
    repo, sep, num = key.rpartition("#")
    if sep and num.isdigit():
        return repo.lower(), int(num), ""
    return key.lower(), -1, key


def short_keys(keys: Iterable[str], width: int = 18) -> dict[str, str]:
    """Display names: "#N" when every key is in one repository, else "repo#N" cut from the left
    ("…ong-name/api#12") to at most `width` characters."""
    keys = list(keys)
    repos = {k.rpartition("#")[0].lower() for k in keys}
    out = {}
    for k in keys:
        repo, sep, num = k.rpartition("#")
        text = f"#{num}" if sep and len(repos) == 1 else k
        out[k] = text if len(text) <= width else "…" + text[-(width - 1):]
    return out
