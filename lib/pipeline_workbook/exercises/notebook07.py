"""Exercise checks of notebook 07: the pitfall of a self-updating pipeline."""

from __future__ import annotations

from typing import Any, Callable

from .base import Result

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}
