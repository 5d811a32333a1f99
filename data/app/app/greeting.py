"""What the service answers, as pure functions (the unit tests call these directly)."""

import os
import re

SERVICE = "hello-service"
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z .'-]{0,39}$")


def version() -> str:
    """The version baked into the image at build time (APP_VERSION), or "dev" when run from a checkout."""
    return os.environ.get("APP_VERSION") or "dev"


def greeting(name: str | None = None) -> str:
    """"Hello, <name>!" for a plausible name, "Hello, world!" otherwise."""
    if name is None or not NAME_PATTERN.match(name.strip()):
        return "Hello, world!"
    return f"Hello, {name.strip()}!"


def status() -> dict:
    """The body of GET /: which service and version answered."""
    return {"service": SERVICE, "version": version(), "message": greeting()}
