"""``anyvideo export``: the command over :mod:`anyvideo.migrate.export`.

Exit status: 0 when every listed asset is in the destination (or ``--verify``
finds nothing wrong); 1 when an asset failed, ``--verify`` found a
difference, or the export could not run; 3 when the run finished but some
assets could not be copied (each is listed with its reason).

Also runs on its own: ``python -m anyvideo.migrate.commands DEST ...``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from anyvideo.client import Video, connect
from anyvideo.errors import AnyVideoError, NotFound
from anyvideo.migrate import KINDS

if TYPE_CHECKING:
    from anyvideo.migrate.export import ExportProgress, ExportReport

__all__ = ["EXIT_FAILED", "EXIT_SKIPPED", "export", "migrate"]

#: Exit status when an asset failed or ``--verify`` found differences.
EXIT_FAILED = 1
#: Exit status when the run finished but some assets could not be copied (listed).
EXIT_SKIPPED = 3


# Each ends the command with its own status (through ``anyvideo.cli.main`` too);
# click declares the status per class.


class _ExportFailed(click.ClickException):
    exit_code = EXIT_FAILED


class _ExportSkipped(click.ClickException):
    exit_code = EXIT_SKIPPED


class _Moment(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.4; older ones are supported
    """An ISO 8601 date or date-time; one without a zone is taken as UTC."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                self.fail(f"{value!r} is not an ISO 8601 date or date-time (e.g. 2026-01-31T12:00:00Z)", param, ctx)
        return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000  # type: ignore[assignment]
    raise AssertionError("unreachable")


class _ProgressBar:
    """A click progress bar on stderr, made with the first asset copied; its length grows with
    the listing, which goes on while the copy runs."""

    def __init__(self) -> None:
        self._bar: Any = None

    def __call__(self, progress: ExportProgress) -> None:
        if self._bar is None:
            self._bar = click.progressbar(
                length=progress.total,
                label="exporting",
                file=sys.stderr,
                show_pos=True,
                item_show_func=lambda text: text,
            )
            self._bar.__enter__()
        self._bar.length = progress.total
        self._bar.update(1, f"{_size(progress.bytes)} copied")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@click.command("export")
@click.argument("destination")
@click.option(
    "--backend",
    "-b",
    envvar="ANYVIDEO_BACKEND",
    default=None,
    help="Backend to export from (default: ANYVIDEO_BACKEND, else local).",
)
@click.option("--room", default=None, help="Only this room's assets (an id, a ref, or a room name).")
@click.option("--since", type=_Moment(), default=None, help="Only assets started at or after this (ISO 8601; UTC).")
@click.option("--until", type=_Moment(), default=None, help="Only assets started before this (ISO 8601; UTC).")
@click.option(
    "--kind",
    "kinds",
    type=click.Choice(KINDS),
    multiple=True,
    help="Only recordings or compositions (repeatable; default: both).",
)
@click.option("--workers", type=click.IntRange(1, 256), default=4, show_default=True, help="Assets copied at once.")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Provider requests per second, across workers (default: the backend's declared rate, else no cap).",
)
@click.option("--verify", is_flag=True, help="Recheck an existing export against its checksums; copy nothing.")
@click.option("--s3-endpoint-url", default=None, help="Endpoint of an S3-compatible server (else AWS_ENDPOINT_URL).")
@click.option("--journal", default=None, help="For s3:// only: the local journal file (default under XDG_STATE_HOME).")
def export(
    destination: str,
    backend: str | None,
    room: str | None,
    since: datetime | None,
    until: datetime | None,
    kinds: tuple[str, ...],
    workers: int,
    rate: float | None,
    verify: bool,
    s3_endpoint_url: str | None,
    journal: str | None,
) -> None:
    """Copy every recording and composition into DESTINATION: a folder, or s3://bucket/prefix.

    Each asset's media, core metadata (asset.json, with sha256 and sizes) and the
    provider's payload (raw.json) go to <kind>/<provider>/<id>/; manifest.jsonl
    records progress. Rerun the same command to resume after an interruption.
    """
    # The export machinery loads when the command runs, not when the CLI starts.
    from anyvideo.migrate.destinations import destination_from_url
    from anyvideo.migrate.export import export_assets, verify_export

    try:
        target = destination_from_url(destination, s3_endpoint_url=s3_endpoint_url, journal=journal)
        if verify:
            _verify(target.url, verify_export(target))
            return
        with connect(backend) as video:
            room_id = _room_id(video, room)
            bar = _ProgressBar()
            try:
                report = export_assets(
                    video,
                    target,
                    room=room_id,
                    since=since,
                    until=until,
                    kinds=kinds or KINDS,
                    workers=workers,
                    rate=rate,
                    progress=bar,
                )
            finally:
                bar.close()
    except AnyVideoError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(report)


def _room_id(video: Video, room: str | None) -> str | None:
    if room is None:
        return None
    try:
        return video.rooms.get(room).id
    except NotFound:
        return video.rooms.get(name=room).id


def _report(report: ExportReport) -> None:
    for note in report.unsupported:
        click.echo(f"not exported: {note}")
    for outcome in report.skipped:
        click.echo(f"skipped {outcome.key}: {outcome.reason}")
    for outcome in report.failed:
        click.echo(f"failed {outcome.key}: {outcome.reason}")
    if report.not_listed:
        click.echo(f"{len(report.not_listed)} assets exported earlier were not listed this time; they stay in place")
    click.echo(report.summary())
    if report.failed:
        raise _ExportFailed(f"{len(report.failed)} assets failed (listed above); rerun to retry")
    if report.skipped:
        raise _ExportSkipped(f"{len(report.skipped)} assets could not be copied (listed above with the reason)")


def _verify(url: str, differences: list[Any]) -> None:
    for difference in differences:
        click.echo(str(difference))
    if differences:
        raise _ExportFailed(f"{len(differences)} differences in the export at {url}")
    click.echo(f"the export at {url} verifies: every file matches its checksum and size")


@click.group("migrate")
def migrate() -> None:
    """Plan (and apply) a move of account settings between providers."""


@migrate.command("plan")
@click.option("--from", "source", required=True, help="The backend being left (configured from the environment).")
@click.option("--to", "target", required=True, help="The backend moved to (configured from the environment).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--apply", "apply", is_flag=True, help="Apply what the target's API can take (idempotent).")
def migrate_plan(source: str, target: str, as_json: bool, apply: bool) -> None:
    """What SOURCE's account settings become on TARGET, what would be lost, what is left to the app."""
    from anyvideo.client import connect
    from anyvideo.migrate.plan import apply_plan, make_plan

    with connect(source) as old, connect(target) as new:
        plan = make_plan(old.backend, new.backend)
        applied = apply_plan(plan, new.backend) if apply else None
    if as_json:
        document = plan.to_json()
        if applied is not None:
            document["applied"] = [f"{step.setting.kind}: {step.setting.name}" for step in applied]
        click.echo(json.dumps(document, indent=2))
        return
    click.echo(f"account settings from {source} to {target}:")
    for step in plan.steps:
        click.echo(f"\n  {step.setting.kind} {step.setting.name!r}: {step.action}")
        click.echo(f"    on {target}: {step.target}")
        if step.consequence:
            click.echo(f"    consequence: {step.consequence}")
    if not plan.steps:
        click.echo(f"  none that {source} reports")
    click.echo(f"\nfeatures {target} lacks:")
    for feature, why in plan.lost.items():
        click.echo(f"  {feature}: {why}")
    click.echo("\nleft to the application:")
    for change in plan.code_changes:
        click.echo(f"  - {change}")
    if applied is not None:
        click.echo(f"\napplied {len(applied)} change(s)")
        for step in applied:
            click.echo(f"  - {step.setting.kind} {step.setting.name!r}")


if __name__ == "__main__":
    export(prog_name="anyvideo export")
