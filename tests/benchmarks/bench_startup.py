"""Start-up: what an application on the embedded backend, and the CLI, pay
before doing anything.

Each contender is a fresh interpreter (``python -c ...``), timed from spawn to
exit, interleaved round by round with its baseline:

- ``import anyvideo`` against ``import click`` (the CLI's own framework);
- ``anyvideo --help`` against ``import anyvideo``;
- connecting to ``local`` and minting a token against ``import anyvideo``.

Each also checks that no provider SDK (``vonage``, ``twilio``) was imported:
a backend loads only when an application selects it.
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks.harness import Contest, Report, Row, per_op, ratio

SDKS = "('vonage', 'twilio', 'vonage_video', 'vonage_http_client')"
PROBE = (
    "import sys\n{code}\n"
    f"assert not [m for m in sys.modules if m.split('.')[0] in {SDKS}], 'a provider SDK was imported'\n"
)
PROGRAMS = {
    "import click": "import click",
    "import anyvideo": "import anyvideo",
    "anyvideo --help": (
        "sys.argv = ['anyvideo', '--help']\nfrom anyvideo.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    ),
    "connect('local') and a token": (
        "import anyvideo\nv = anyvideo.connect('local', environ={})\nv.tokens.create(v.rooms.create('r'), 'ann')"
    ),
}


def spawn(code: str) -> None:
    subprocess.run([sys.executable, "-c", PROBE.format(code=code)], check=True, capture_output=True)


def test_start_up(report: Report) -> None:
    contest = Contest(rounds=9, per_round=3)
    for name, code in PROGRAMS.items():
        contest.add(name, lambda i, code=code: spawn(code))
    results = contest.run()
    for goal, ours, theirs, target in [
        ("`import anyvideo` (vs `import click`)", "import anyvideo", "import click", 3.0),
        ("`anyvideo --help` (vs `import anyvideo`)", "anyvideo --help", "import anyvideo", 1.5),
        ("`connect('local')` + a token (vs `import anyvideo`)", "connect('local') and a token", "import anyvideo", 1.5),
    ]:
        report.add(
            "start-up",
            Row(goal, per_op(results[ours]), per_op(results[theirs]), ratio(results, ours, theirs), target),
        )
