"""Without Django, ``anyvideo.django`` says which extra to install (in a fresh interpreter
in which Django cannot be imported)."""

from __future__ import annotations

import os
import subprocess
import sys

from support import REPO

SCRIPT = """
import sys

class Hidden:
    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] == "django":
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None

sys.meta_path.insert(0, Hidden())
try:
    import anyvideo.django
except ModuleNotFoundError as exc:
    print(exc.name, exc, sep="|")
"""


def test_anyvideo_django_without_django_names_the_extra() -> None:
    env = os.environ | {"PYTHONPATH": os.pathsep.join(str(REPO / part) for part in ("core", "backends"))}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == 'django|anyvideo.django needs Django: pip install "anyvideo[django]"', result.stderr
