"""Exceptions of jobgraph: each carries where the problem is and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in a curated file: file (relative to the project), line, message, hint."""

    file: str
    line: int | None
    message: str
    hint: str | None = None

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        text = f"[ERROR] {self.location()} {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text


class JobgraphError(Exception):
    """Base class of every error jobgraph raises on purpose."""

    exit_code = 2


@dataclass
class DataError(JobgraphError):
    """Curated data that cannot be loaded; lists every problem found, each with file and line."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class UsageError(JobgraphError):
    """A command was called with arguments that cannot work (unknown query, ambiguous job...)."""


class ExternalError(JobgraphError):
    """Something outside jobgraph failed: an endpoint, Java, a server."""

    exit_code = 3


class JavaMissing(ExternalError):
    """The OWL reasoner needs a Java runtime and none was found."""


class EndpointError(ExternalError):
    """A SPARQL endpoint could not be reached, refused the credentials, or answered wrongly."""
