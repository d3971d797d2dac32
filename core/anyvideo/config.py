"""Where configuration comes from: keyword arguments first, then the environment.

``ANYVIDEO_BACKEND`` names the backend (default ``local``);
``ANYVIDEO_PLUGINS`` restricts which plugins load; each backend reads its own
variables (``ANYVIDEO_LOCAL_DB``, a provider's credentials) in its
``from_settings``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from anyvideo.errors import ConfigurationError

__all__ = ["DEFAULT_BACKEND", "select_backend"]

DEFAULT_BACKEND = "local"

_NAME = re.compile(r"[a-z][a-z0-9_-]*")


def select_backend(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The backend name to use: ``explicit``, else ``ANYVIDEO_BACKEND``, else ``local``."""
    environ = os.environ if environ is None else environ
    name = explicit or environ.get("ANYVIDEO_BACKEND", "").strip() or DEFAULT_BACKEND
    if not _NAME.fullmatch(name):
        raise ConfigurationError(f"{name!r} is not a backend name (lowercase letters, digits, _ and -)")
    return name
