"""Feed problems are collected, never raised one at a time: an operator gets every
problem of an upload in one report (like the MobilityData GTFS Validator, whose notice
codes we use where one exists)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # the version cannot be used
    WARNING = "warning"  # kept and reported; the version can still be activated


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    file: str | None = None
    row: int | None = None  # 1-based data row (the header is row 0)
    field: str | None = None
    severity: Severity = Severity.ERROR

    def as_report_item(self) -> dict[str, Any]:
        item = asdict(self)
        item.pop("severity")
        return item


class FeedRejected(Exception):
    """Raised by an importer to stop at once when going on makes no sense (not a zip,
    a zip bomb); the issue is in the collector already."""


@dataclass
class IssueCollector:
    """Collects issues; caps how many of one code per file are kept so a feed with a
    million bad rows still gets a readable report (the count of dropped ones is kept)."""

    max_per_code_and_file: int = 50
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    _seen: dict[tuple[str, str | None, Severity], int] = field(default_factory=dict)

    def add(self, issue: Issue) -> None:
        key = (issue.code, issue.file, issue.severity)
        self._seen[key] = self._seen.get(key, 0) + 1
        if self._seen[key] > self.max_per_code_and_file:
            return
        (self.errors if issue.severity is Severity.ERROR else self.warnings).append(issue)

    def error(
        self,
        code: str,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.add(Issue(code, message, file, row, field, Severity.ERROR))

    def warning(
        self,
        code: str,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.add(Issue(code, message, file, row, field, Severity.WARNING))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def report(self) -> dict[str, Any]:
        truncated = {
            f"{code}|{file or ''}|{severity.value}": count - self.max_per_code_and_file
            for (code, file, severity), count in self._seen.items()
            if count > self.max_per_code_and_file
        }
        body: dict[str, Any] = {
            "errors": [i.as_report_item() for i in self.errors],
            "warnings": [i.as_report_item() for i in self.warnings],
        }
        if truncated:
            body["truncated"] = truncated
        return body
