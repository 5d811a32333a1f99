"""Exercise checks of notebook 09: compare the designs."""

from __future__ import annotations

from typing import Any, Callable

from .base import Result

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}
