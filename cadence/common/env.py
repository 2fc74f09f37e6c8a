"""Typed readers for settings taken from the environment.

Every reader fails loudly with :class:`ConfigError`, naming the variable and what is wrong,
so a mistyped value stops start-up instead of running a clinic with a surprising setting.
``NAME_FILE`` variants are honoured for secrets (Docker/Kubernetes secrets, systemd credentials).
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Mapping

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


class ConfigError(Exception):
    """A setting from the environment is missing or malformed."""


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        """The variable's value, or the contents of the file named by NAME_FILE."""
        file_var = f"{name}_FILE"
        if file_var in self.environ and name in self.environ:
            raise ConfigError(f"{name}: set either {name} or {file_var}, not both.")
        if file_var in self.environ:
            path = self.environ[file_var]
            try:
                with open(path, encoding="utf-8") as fh:
                    return fh.read().strip()
            except OSError as exc:
                raise ConfigError(f"{file_var}: cannot read {path!r} ({exc.strerror}).") from exc
        return self.environ.get(name)

    def text(self, name: str, default: object = _MISSING) -> str:
        value = self._raw(name)
        if value is None:
            if default is _MISSING:
                raise ConfigError(f"{name}: required but not set.")
            return str(default)
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(f"{name}: expected true or false (1/0, yes/no, on/off), got {value!r}.")

    def number(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value.strip())
        except ValueError:
            raise ConfigError(f"{name}: expected a whole number, got {value!r}.") from None
        if minimum is not None and number < minimum:
            raise ConfigError(f"{name}: must be at least {minimum}, got {number}.")
        if maximum is not None and number > maximum:
            raise ConfigError(f"{name}: must be at most {maximum}, got {number}.")
        return number

    def items(self, name: str, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise ConfigError(f"{name}: comma-separated list has an empty entry: {value!r}.")
        return items

    def timezone(self, name: str, default: str) -> str:
        value = self.text(name, default).strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{name}: {value!r} is not an IANA time zone (e.g. America/New_York)."
            ) from None
        return value
