"""Which description checks run, and how much a failed one weighs: ``CHECK=LEVEL`` settings.

Checks (see ``docs/checks.md``): ``request``, ``status-code``, ``content-type``, ``schema``,
``headers``, ``event-schema``. Levels: ``error`` (the step fails), ``warn`` (shown and reported,
the step goes on), ``off`` (not checked). Every check is ``error`` unless set; ``all=LEVEL``
sets every check, and a later pair beats an earlier one (``all=off schema=error``).
Parsed once at the edge (the CLI, the pytest plugin, ``Runner(severity=...)``) into one
:class:`CheckSettings` that is passed down.
"""

from __future__ import annotations

__all__ = ["CHECKS", "LEVELS", "CheckSettings", "parse_severity"]

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from arazzo_runner.errors import InputError

CHECKS = ("request", "status-code", "content-type", "schema", "headers", "event-schema")
LEVELS = ("error", "warn", "off")
_ALL = "all"


@dataclass(frozen=True)
class CheckSettings:
    """The level of each check (``error`` for any check not named)."""

    levels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def level(self, check: str) -> str:
        return self.levels.get(check, "error")

    def enabled(self, check: str) -> bool:
        return self.level(check) != "off"

    @property
    def any_enabled(self) -> bool:
        return any(self.enabled(check) for check in CHECKS)

    def to_dict(self) -> dict[str, str]:
        return {check: self.level(check) for check in CHECKS}


def parse_severity(
    pairs: Iterable[str] | Mapping[str, str] | CheckSettings | None, *, option: str = "--severity"
) -> CheckSettings:
    """``["schema=warn", "status-code=off"]`` (or a mapping) -> :class:`CheckSettings`.

    A bad pair raises :class:`~arazzo_runner.errors.InputError` (exit 2) naming ``option``.
    """
    if isinstance(pairs, CheckSettings):
        return pairs
    if pairs is None:
        return CheckSettings()
    items = pairs.items() if isinstance(pairs, Mapping) else (_split(p, option) for p in pairs)
    levels: dict[str, str] = {}
    for check, level in items:
        _known(check, level, option)
        if check == _ALL:
            levels = dict.fromkeys(CHECKS, level)
        else:
            levels[check] = level
    return CheckSettings(MappingProxyType(levels))


def _split(pair: str, option: str) -> tuple[str, str]:
    check, sep, level = pair.partition("=")
    if not sep:
        raise InputError(
            f"{option} expects CHECK=LEVEL, got {pair!r}",
            hint=f"for example {option} schema=warn",
        )
    return check.strip(), level.strip()


def _known(check: str, level: str, option: str) -> None:
    if check != _ALL and check not in CHECKS:
        raise InputError(
            f"{option}: unknown check {check!r}",
            hint="checks: " + ", ".join((*CHECKS, _ALL)),
        )
    if level not in LEVELS:
        raise InputError(
            f"{option} {check}={level}: the level must be one of " + ", ".join(LEVELS),
        )
