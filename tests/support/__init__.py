"""What anyvideo's tests share, importable as ``support`` (``pythonpath = ["tests"]``
in the pytest configuration): test files are imported by path, so they cannot
import a sibling module by bare name."""

from pathlib import Path
from urllib.parse import urlsplit

from anyvideo.testing import Emulator

#: The repository's root: ``docs/`` and ``tests/fixtures/`` are found from here.
REPO = Path(__file__).resolve().parents[2]


def host_of(emulator: Emulator) -> str:
    """``host:port`` of the emulator, as the Vonage SDK's ``video_host`` takes it."""
    return urlsplit(emulator.base_url).netloc
