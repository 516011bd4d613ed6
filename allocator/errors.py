"""Errors a user can act on: bad input (file, row, column) and impossible policies.

Every problem with input data is reported as an :class:`InputIssue` naming the
file, the spreadsheet row (the header is row 1, the first data row is row 2, as
a spreadsheet shows it) and the column, with what was found and what was
expected.  A reader collects all issues of a file (up to ``MAX_ISSUES``) and
raises one :class:`InputError` holding them, so a planner fixes a file in one
pass instead of one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_ISSUES = 50


@dataclass(frozen=True)
class InputIssue:
    """One problem in one cell (or column, or file) of the input."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class InputError(Exception):
    """Input that cannot be used; holds every :class:`InputIssue` found."""

    def __init__(self, issues: list[InputIssue] | InputIssue):
        self.issues = [issues] if isinstance(issues, InputIssue) else list(issues)
        super().__init__(self._text())

    def _text(self) -> str:
        shown = self.issues[:MAX_ISSUES]
        lines = [str(i) for i in shown]
        if len(self.issues) > len(shown):
            lines.append(f"... and {len(self.issues) - len(shown)} more problem(s) not listed (the list shows the first "
                         f"{len(shown)}; each check reports at most 20 rows per column)")
        return "\n".join(lines)


class IssueCollector:
    """Gathers issues while a file is checked; ``raise_if_any`` ends the check."""

    def __init__(self) -> None:
        self.issues: list[InputIssue] = []

    def add(self, file: str, message: str, row: int | None = None, column: str | None = None) -> None:
        self.issues.append(InputIssue(file, message, row, column))

    def raise_if_any(self) -> None:
        if self.issues:
            raise InputError(self.issues)


class Cancelled(Exception):
    """The work was stopped on request (a web job cancelled by its user); ``str`` says what was under way."""
