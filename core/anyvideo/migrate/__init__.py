"""Moving an account between providers: asset export (and, later, the fleet router and settings plan).

:mod:`anyvideo.migrate.export` copies every recording and composition of an
account (or of a time range or room) into a folder or S3-compatible storage,
resumably and verifiably; ``anyvideo export`` is its command.
"""

__all__ = ["KINDS"]

#: What an export copies, each selectable with ``--kind``.
KINDS = ("recordings", "compositions")
