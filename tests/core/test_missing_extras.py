"""A backend whose provider SDK is not installed says so in one line: the backend, the
missing module, and the ``pip`` command that installs its extra. Each case runs in a
fresh interpreter in which the SDK's modules cannot be imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from support import REPO

#: Run as ``python -c SCRIPT hidden,modules backend``: connect with those modules hidden,
#: print the error as JSON.
SCRIPT = """
import json, sys

class Hidden:
    def __init__(self, names):
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None

hidden = sys.argv[1].split(",")
sys.meta_path.insert(0, Hidden(hidden))
for name in [m for m in sys.modules if m.partition(".")[0] in hidden]:
    del sys.modules[name]

import anyvideo

try:
    anyvideo.connect(sys.argv[2], environ={})
except anyvideo.ConfigurationError as exc:
    print(json.dumps({"type": type(exc).__name__, "message": str(exc), "module": getattr(exc, "module", None),
                      "backend_not_found": isinstance(exc, anyvideo.BackendNotFound)}))
"""

CASES = [
    # what is missing, the backend asked for, the module named, the extra to install
    ("pydantic", "vonage", "pydantic", "vonage"),  # the SDK's own dependency, as in a bare install
    ("pydantic,vonage", "vonage", None, "vonage"),
    ("vonage", "vonage", "vonage", "vonage"),
    ("twilio", "twilio", "twilio", "twilio"),  # as with [vonage] installed alone
]


@pytest.mark.parametrize(("hidden", "backend", "module", "extra"), CASES)
def test_a_missing_sdk_names_the_backend_module_and_pip_command(
    hidden: str, backend: str, module: str | None, extra: str
) -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "core"), str(REPO / "backends")])}
    environment.pop("ANYVIDEO_PLUGINS", None)
    ran = subprocess.run(
        [sys.executable, "-c", SCRIPT, hidden, backend],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        cwd=REPO,
    )
    error = json.loads(ran.stdout)
    assert error["type"] == "MissingExtra" and error["backend_not_found"]
    assert error["module"] in hidden.split(",") and (module is None or error["module"] == module)
    assert error["message"] == (
        f"the {backend} backend needs the module {error['module']!r}, which is not installed:"
        f' pip install "anyvideo[{extra}]"'
    )
    assert "\n" not in error["message"]
