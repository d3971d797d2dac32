"""``python -m anyvideo``: the ``anyvideo`` command, for when the script is not on ``PATH``."""

from anyvideo.cli import main

main()
