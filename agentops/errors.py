"""One error hierarchy; each error carries its exit code and an optional hint.

The CLI maps these to exit codes in exactly one place (cli.main). Anything that is
not an AgentOpsError is a bug and keeps its traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the work itself failed: red gate, rolled-back deploy, findings with --fail-on
    BAD_INPUT = 2  # flags, config, state file, issue form
    UNAVAILABLE = 3  # GitHub or another service unavailable after retries (rate limit included)
    LOST_RACE = 4  # another worker holds the claim / lock


class AgentOpsError(Exception):
    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class WorkFailed(AgentOpsError):
    """The requested work ran and failed (exit 1)."""

    exit_code = ExitCode.FAILED


class BadInput(AgentOpsError):
    """Bad flags, config, state file or issue form (exit 2). Always names the culprit."""

    exit_code = ExitCode.BAD_INPUT


class ConfigError(BadInput):
    def __init__(self, path: str, message: str, *, line: int | None = None, field: str | None = None,
                 hint: str | None = None) -> None:
        where = path if line is None else f"{path}:{line}"
        what = f"{where}: {field}: {message}" if field else f"{where}: {message}"
        super().__init__(what, hint=hint)
        self.path = path
        self.line = line
        self.field = field


class StateError(BadInput):
    """A state file is corrupt, truncated or from a newer agentops. It is never reset."""

    def __init__(self, path: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{path}: {message}", hint=hint or "the file was left untouched; fix or restore it from git")
        self.path = path


class AuthMissing(BadInput):
    """No credentials, or GitHub refused the ones given (exit 2 either way: the input is wrong)."""

    def __init__(self, message: str = "no GitHub token found", *, hint: str | None = None) -> None:
        super().__init__(
            message,
            hint=hint or "set GH_TOKEN (or GITHUB_TOKEN) to a token, or AGENTOPS_APP_ID + AGENTOPS_APP_PRIVATE_KEY "
            "for a GitHub App",
        )


class Unavailable(AgentOpsError):
    """GitHub or another outside service could not be reached after retries (exit 3)."""

    exit_code = ExitCode.UNAVAILABLE


class RateLimited(Unavailable):
    def __init__(self, message: str, *, reset_at: float | None = None) -> None:
        super().__init__(message, hint="wait for the rate limit to reset, then run again; work done so far was saved")
        self.reset_at = reset_at


class LostRace(AgentOpsError):
    """Another worker holds the claim or lock (exit 4)."""

    exit_code = ExitCode.LOST_RACE


class NotFound(BadInput):
    """A named object (repo, issue, PR) does not exist or is not visible to this token."""


class GitHubError(AgentOpsError):
    """GitHub answered with an error that is not retryable (4xx other than rate limits)."""

    exit_code = ExitCode.FAILED

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class Forbidden(GitHubError):
    """403 that is not a rate limit: missing permission or feature disabled."""
