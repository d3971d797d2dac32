"""The ``anyvideo`` command.

Backend selection and settings come from ``--backend`` or the environment,
exactly as for ``anyvideo.connect()``. Plugins may add subcommands through the
``anyvideo_register_commands`` hook.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import ssl
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from anyvideo import capabilities
from anyvideo.backend import FEATURE_DESCRIPTIONS, Feature
from anyvideo.client import Video, connect
from anyvideo.errors import (
    AnyVideoError,
    AuthenticationError,
    ConfigurationError,
    Conflict,
    DeadlineExceeded,
    Forbidden,
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
    Unreachable,
    UnsupportedFeature,
    WaitTimeout,
)
from anyvideo.meetings.commands import serve as serve_group
from anyvideo.migrate.commands import export as export_command
from anyvideo.migrate.commands import migrate as migrate_group
from anyvideo.models import RecordingStatus, Role, RoomStatus
from anyvideo.plugins import Plugins
from anyvideo.provision_commands import provision as provision_group

if TYPE_CHECKING:
    from anyvideo.testing.server import Emulator

__all__ = ["EXIT_CODES", "cli", "environment_problem", "exit_code", "main"]

#: The exit status for each kind of error, so a script can tell them apart. An error takes
#: the code of the nearest of its classes listed here (``BackendNotFound`` is a
#: ``ConfigurationError``, ``DeadlineExceeded`` is listed before the ``ProviderError`` it
#: subclasses); an anyvideo error of none of them exits 1. Usage errors exit 2 (click's),
#: an interrupted command 130. ``docs/cli.md`` has the same table: keep them in step.
EXIT_CODES: dict[type[AnyVideoError], int] = {
    ConfigurationError: 3,
    InvalidRequest: 4,
    NotFound: 5,
    Conflict: 6,
    AuthenticationError: 7,
    Forbidden: 8,
    UnsupportedFeature: 9,
    RateLimited: 10,
    ProviderError: 11,
    DeadlineExceeded: 12,
    WaitTimeout: 12,
    Unreachable: 13,
}


def exit_code(error: AnyVideoError) -> int:
    """The exit status ``anyvideo`` ends with for ``error`` (see :data:`EXIT_CODES`)."""
    return next((EXIT_CODES[cls] for cls in type(error).__mro__ if cls in EXIT_CODES), 1)


_backend_option = click.option(
    "--backend",
    "-b",
    envvar="ANYVIDEO_BACKEND",
    default=None,
    help="Backend to use (default: ANYVIDEO_BACKEND, else local).",
)


def _note_rooms_in_memory(video: Video, *, created: bool) -> None:
    """A note on stderr when the rooms just created or listed live only in this process."""
    if video.backend.rooms_kept_in is None:
        return
    variable, why = video.backend.rooms_kept_in
    if os.environ.get(variable):
        return
    if created:
        note = f"this room is forgotten when the command exits ({why}; set {variable} to a file to keep them)"
    else:
        note = f"only rooms created by this command are listed ({why}; set {variable} to the file they were kept in)"
    click.echo(f"note: {variable} is not set: {note}", err=True)


@contextmanager
def _video(backend: str | None) -> Iterator[Video]:
    with connect(backend) as video:
        yield video


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document (a list of objects) instead of a table."
)

#: What ``rooms list --json`` gives for each room (attributes of :class:`anyvideo.Room`),
#: and the table's columns among them (key: header).
ROOM_KEYS = ("id", "ref", "provider", "name", "status", "created_at", "ended_at", "max_participants")
ROOM_COLUMNS = {"id": "id", "name": "name", "status": "status", "created_at": "created"}
#: What ``recordings list --json`` gives for each recording (attributes of
#: :class:`anyvideo.Recording`), and the table's columns among them (key: header).
RECORDING_KEYS = ("id", "ref", "provider", "room_id", "mode", "status", "started_at", "stopped_at", "duration", "size")
RECORDING_COLUMNS = {
    "id": "id",
    "room_id": "room",
    "mode": "mode",
    "status": "status",
    "started_at": "started",
    "size": "bytes",
}


def _jsonable(value: object) -> object:
    """``value`` as JSON has it: times in ISO 8601 with their offset, enums by value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _records(items: Iterable[object], keys: Sequence[str]) -> list[dict[str, object]]:
    return [{key: getattr(item, key) for key in keys} for item in items]


def _cell(value: object) -> str:
    """A value as the table shows it: times to the second, with their offset."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(_jsonable(value))


def _listing(records: list[dict[str, object]], columns: Mapping[str, str], as_json: bool) -> None:
    """Print ``records`` as one JSON document, or as a table of ``columns``."""
    if as_json:
        click.echo(json.dumps([{k: _jsonable(v) for k, v in r.items()} for r in records], indent=2))
    else:
        rows = [[_cell(record[key]) for key in columns] for record in records]
        click.echo(_table(list(columns.values()), rows))


@click.group()
@click.version_option(package_name="anyvideo")
def cli() -> None:
    """One API over real-time video platforms."""


@cli.command()
@_json_option
def backends(as_json: bool) -> None:
    """List installed backends and the features each declares.

    With --json: one object per backend, {"name", "features"} (the feature names it declares).
    """
    plugins = Plugins()
    installed = capabilities.providers(plugins.backends())
    if as_json:
        records = [
            {"name": name, "features": [f.value for f in Feature if f in cls.features]}
            for name, cls in installed.items()
        ]
        click.echo(json.dumps(records, indent=2))
    else:
        click.echo(_table(["feature", *installed, "what it means"], capabilities.feature_rows(installed)))
    for plugin, error in sorted(plugins.broken.items()):
        click.echo(f"plugin {plugin!r} failed to load: {type(error).__name__}: {error}", err=True)
    for name, claimants in plugins.conflicts().items():
        click.echo(f"backend {name!r} is claimed by several plugins: {', '.join(claimants)}", err=True)


@cli.command("capabilities")
@click.option("--markdown", is_flag=True, help="Print the Markdown page (docs/capabilities.md).")
@_json_option
def capabilities_command(markdown: bool, as_json: bool) -> None:
    """The capability matrix of the installed backends, with why each lacks what it lacks.

    With --json: one object per feature, {"feature", "description", "backends": {name: true
    or false}, "hints": {name: why it lacks it}}.
    """
    installed = Plugins().backends()
    if markdown and as_json:
        raise click.UsageError("--markdown and --json are exclusive")
    if markdown:
        click.echo(capabilities.markdown(installed), nl=False)
        return
    installed = capabilities.providers(installed)
    if as_json:
        records = [
            {
                "feature": feature.value,
                "description": FEATURE_DESCRIPTIONS[feature],
                "backends": {name: feature in cls.features for name, cls in installed.items()},
                "hints": {
                    name: cls.feature_hints[feature] for name, cls in installed.items() if feature in cls.feature_hints
                },
            }
            for feature in Feature
        ]
        click.echo(json.dumps(records, indent=2))
        return
    click.echo(_table(["feature", *installed, "what it means"], capabilities.feature_rows(installed)))
    for name, cls in installed.items():
        for feature, hint in cls.feature_hints.items():
            click.echo(f"{name} lacks {feature.value}: {hint}")


@cli.command()
@_backend_option
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), help="Keep the recording here.")
def demo(backend: str | None, output: Path | None) -> None:
    """Run a scripted meeting and print its timeline."""
    from anyvideo.demo import run_demo

    show_progress = sys.stderr.isatty()

    def progress(waited: float) -> None:
        if show_progress:
            click.echo(f"\r         processing… {waited:4.1f}s", nl=False, err=True)

    with _video(backend) as video:
        run_demo(video, click.echo, output=output, progress=progress)
    if show_progress:
        click.echo("\r" + " " * 40 + "\r", nl=False, err=True)


@cli.group()
def rooms() -> None:
    """Create, list and end rooms."""


@rooms.command("create")
@_backend_option
@click.argument("name")
@click.option("--max-participants", type=int, default=None)
def rooms_create(backend: str | None, name: str, max_participants: int | None) -> None:
    """Open a room called NAME."""
    with _video(backend) as video:
        room = video.rooms.create(name, max_participants=max_participants)
        click.echo(room.ref)
        _note_rooms_in_memory(video, created=True)


@rooms.command("list")
@_backend_option
@click.option("--status", type=click.Choice([s.value for s in RoomStatus]), default=None)
@_json_option
def rooms_list(backend: str | None, status: str | None, as_json: bool) -> None:
    """List rooms, oldest first."""
    with _video(backend) as video:
        records = _records(video.rooms.list(status=status), ROOM_KEYS)
        if not records:
            _note_rooms_in_memory(video, created=False)
    _listing(records, ROOM_COLUMNS, as_json)


@rooms.command("end")
@_backend_option
@click.argument("room")
def rooms_end(backend: str | None, room: str) -> None:
    """End ROOM (an id, a ref, or a room name)."""
    with _video(backend) as video:
        try:
            ended = video.rooms.end(room)
        except NotFound:
            ended = video.rooms.end(name=room)
        click.echo(f"{ended.ref} {ended.status}")


@cli.group()
def recordings() -> None:
    """List and download recordings."""


@recordings.command("list")
@_backend_option
@click.option("--room", default=None, help="Only this room's recordings.")
@click.option("--status", type=click.Choice([s.value for s in RecordingStatus]), default=None)
@_json_option
def recordings_list(backend: str | None, room: str | None, status: str | None, as_json: bool) -> None:
    """List recordings, oldest first."""
    with _video(backend) as video:
        records = _records(video.recordings.list(room=room, status=status), RECORDING_KEYS)
    _listing(records, RECORDING_COLUMNS, as_json)


@recordings.command("download")
@_backend_option
@click.argument("recording")
@click.option(
    "--to",
    "destination",
    type=click.Path(),
    default="." + os.sep,
    show_default=True,
    help="A folder (a path ending in a separator, or an existing folder; made if missing), "
    "else the file to write, in a folder that exists.",
)
@click.option("--file", "file_name", default=None, help="Only this one of the recording's files.")
def recordings_download(backend: str | None, recording: str, destination: str, file_name: str | None) -> None:
    """Download RECORDING's media, checking its size and checksum.

    A composed recording is one file; an individual one downloads into a folder
    as one file per stream and manifest.json (whose each file is). Prints the
    path of the file, or of the folder.
    """
    with _video(backend) as video:
        files = video.recordings.get(recording).files
        sizes = [f.size for f in files if file_name in (None, f.name)]
        total = sum(size or 0 for size in sizes) if sizes and None not in sizes else 0
        try:
            with click.progressbar(length=total, label="downloading", file=sys.stderr) as bar:
                saved = video.recordings.download(recording, destination, file_name=file_name, progress=bar.update)
        except InvalidRequest as exc:
            option = {"destination": "'--to'", "file_name": "'--file'"}.get(exc.field)
            if option is None:
                raise click.UsageError(str(exc)) from None
            raise click.BadParameter(exc.reason, param_hint=option) from None
    click.echo(str(saved))


@cli.group()
def tokens() -> None:
    """Mint client tokens."""


@tokens.command("create")
@_backend_option
@click.argument("room")
@click.argument("identity")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.PUBLISHER.value, show_default=True)
@click.option("--ttl", type=float, default=3600, show_default=True, help="Seconds the token is valid.")
@click.option("--data", default=None, help="Data the token carries to the other participants.")
@_json_option
def tokens_create(
    backend: str | None, room: str, identity: str, role: str, ttl: float, data: str | None, as_json: bool
) -> None:
    """Mint a token for IDENTITY to join ROOM (an id or a ref); prints the token.

    With --json: {"token", "provider", "room", "room_ref", "identity", "role", "expires_at"}.
    """
    with _video(backend) as video:
        token = video.tokens.create(room, identity, role=role, ttl=ttl, data=data)
    if as_json:
        record = {
            "token": token.token,
            "provider": token.provider,
            "room": token.room_id,
            "room_ref": token.room_ref,
            "identity": token.identity,
            "role": token.role.value,
            "expires_at": token.expires_at.isoformat(),
        }
        click.echo(json.dumps(record, indent=2))
    else:
        click.echo(token.token)


class _InstalledEmulators(click.Choice[str]):
    """The names of the installed emulators, read when the command line is parsed
    (not when this module is imported), so a plugin's emulator is there too."""

    def __init__(self) -> None:
        super().__init__([])

    @property  # type: ignore[override, unused-ignore]  # a plain attribute from click 8.5
    def choices(self) -> Sequence[str]:
        return Plugins().emulator_names()

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        pass  # click.Choice sets its list once; ours is always the installed one


def _setting_param(option: str) -> str:
    return "setting_" + option.replace("-", "_")


class _EmulatorCommand(click.Command):
    """``anyvideo emulator``, with an option for each setting an installed emulator declares
    (:attr:`anyvideo.testing.Emulator.command_settings`), read when the command line is parsed."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        return [*params[:-1], *_setting_options(), params[-1]]  # --help stays last


def _setting_options() -> list[click.Option]:
    """One option per setting name among the installed emulators, its help saying which take it."""
    plugins = Plugins()
    takers: dict[str, list[str]] = {}
    helps: dict[str, str] = {}
    secret: set[str] = set()
    for name in plugins.emulator_names():
        try:
            declared = plugins.emulator(name).command_settings
        except Exception:  # a broken plugin's emulator offers no options (running it says why)
            continue
        for setting in declared:
            takers.setdefault(setting.option, []).append(name)
            helps.setdefault(setting.option, setting.help)
            if setting.secret:
                secret.add(setting.option)
    return [
        click.Option(
            [f"--{option}", _setting_param(option)],
            metavar="VALUE",
            default=None,
            help=f"[{', '.join(names)}] {helps[option]}"
            + (" A secret: printed, never logged." if option in secret else ""),
        )
        for option, names in takers.items()
    ]


def _emulator_options(cls: type[Emulator], given: dict[str, str | None]) -> dict[str, Any]:
    """The constructor's keywords for the setting options given; a usage error for an option
    this emulator does not take, or a value it refuses."""
    declared = {setting.option: setting for setting in cls.command_settings}
    values: dict[str, str] = {}
    for param, value in given.items():
        if value is None:
            continue
        option = next((o for o in declared if _setting_param(o) == param), None)
        if option is None:
            shown = "--" + param.removeprefix("setting_").replace("_", "-")
            raise click.UsageError(f"the {cls.name} emulator takes no {shown} option")
        problem = declared[option].check(value)
        if problem is not None:
            raise click.BadParameter(problem, param_hint=f"'--{option}'")
        values[option] = value
    return cls.options_from_settings(values)


@cli.command("emulator", cls=_EmulatorCommand)
@click.argument("provider", type=_InstalledEmulators())
@click.option("--port", type=int, default=0, show_default=True, help="Port on 127.0.0.1 (0: any free one).")
@click.option("--tls/--no-tls", default=None, help="Serve HTTPS (default: as the provider's SDK needs).")
@click.option("--processing-delay", type=float, default=2.0, show_default=True, help="Seconds to process media.")
def emulator_command(
    provider: str, port: int, tls: bool | None, processing_delay: float, **settings: str | None
) -> None:
    """Run a provider's REST API emulator on loopback until interrupted.

    It prints every setting an application needs to use it, as export lines:
    credentials, base URL, callback signature secret, and a registry file
    (ANYVIDEO_REGISTRY) the application's processes share. Options in brackets
    are the settings of the emulators named (credentials, callback URLs, ...);
    without them an emulator makes its own credentials.
    """
    cls = Plugins().emulator(provider)
    options = _emulator_options(cls, settings)
    tls = cls.default_tls if tls is None else tls
    running = cls(port=port, tls=tls, processing_delay=processing_delay, **options)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with running, tempfile.TemporaryDirectory(prefix=f"anyvideo-{provider}-") as scratch:
        click.echo(f"{provider} emulator listening at {running.base_url}")
        if not tls and not cls.sdk_speaks_http:
            click.echo(
                f"warning: the {provider} SDK only speaks HTTPS, and anyvideo's {provider} backend through it:"
                " over --no-tls these settings do not work with them; what works is the control API and"
                " plain HTTP clients (requests). Drop --no-tls for the SDK.",
                err=True,
            )
        click.echo("to point anyvideo at it (anyvideo demo, your app), in another shell:")
        environment = {**running.app_environment, "ANYVIDEO_REGISTRY": str(Path(scratch) / "registry.sqlite")}
        for key, value in environment.items():
            if "\n" in value:  # a PEM key: hand it over as a file
                path = Path(scratch) / f"{key.lower()}.pem"
                path.write_text(value)
                value = str(path)
            click.echo(f"  export {key}={shlex.quote(value)}")
        click.echo(f"control API: {running.base_url}/_emulator/   (Ctrl-C stops)", nl=True)
        sys.stdout.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


cli.add_command(export_command)
cli.add_command(migrate_group)
cli.add_command(serve_group)
cli.add_command(provision_group)


def environment_problem(error: BaseException) -> str | None:
    """One line saying what is wrong around anyvideo when ``error`` comes from there (a name
    that does not resolve, nothing listening, a certificate not trusted, a CA bundle
    missing), else ``None``."""
    from anyvideo.connections import address, causes, host  # urllib3 only once something failed

    bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    for cause in causes(error):
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve {host(error)}: no such name, or no network (is the host setting right?)"
        if isinstance(cause, ConnectionRefusedError):
            return (
                f"connection refused by {address(error)}: nothing listens there"
                " (is the server, or the emulator, running, and the host setting right?)"
            )
        if isinstance(cause, ssl.SSLCertVerificationError):
            trusted = f"the CA bundle REQUESTS_CA_BUNDLE names ({bundle})" if bundle else "the system's CA bundles"
            return (
                f"TLS: the certificate of {address(error)} is not trusted by {trusted}: {cause.verify_message}"
                " (set REQUESTS_CA_BUNDLE to the CA bundle that signed it; an emulator prints it)"
            )
        if isinstance(cause, OSError) and "TLS CA certificate bundle" in str(cause):
            return f"TLS: the CA bundle REQUESTS_CA_BUNDLE names ({bundle}) does not exist (fix or unset it)"
    return None


def main() -> None:
    """Entry point of the ``anyvideo`` console script."""
    Plugins().manager.hook.anyvideo_register_commands(cli=cli)
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AnyVideoError as exc:
        problem = environment_problem(exc)
        if problem is not None and isinstance(exc, ProviderError):
            problem = f"{exc.provider}: {problem}"
        click.echo(f"error: {problem or exc}", err=True)
        sys.exit(exit_code(exc))
    except OSError as exc:  # requests checks REQUESTS_CA_BUNDLE before any request, untranslated
        problem = environment_problem(exc)
        if problem is None:
            raise
        click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_CODES[ConfigurationError])


if __name__ == "__main__":
    main()
