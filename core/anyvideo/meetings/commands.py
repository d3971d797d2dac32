"""``anyvideo serve``: run the meeting service, migrate its database, mint a development token.

Nothing here imports the service's own dependencies until a command runs, so ``anyvideo``
works without the ``serve`` extra and says how to install it when asked to serve.
"""

from __future__ import annotations

import click

from anyvideo.errors import ConfigurationError

__all__ = ["serve"]

#: What the service needs beyond anyvideo itself.
SERVE_MODULES = ("fastapi", "uvicorn", "sqlalchemy", "alembic")


def _require_extra() -> None:
    """Refuses, naming the module and the pip command, when the ``serve`` extra is not installed."""
    import importlib

    for module in SERVE_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            raise ConfigurationError(
                f'anyvideo serve needs the module {module!r}, which is not installed: pip install "anyvideo[serve]"'
            ) from None


@click.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to listen on.")
@click.pass_context
def serve(context: click.Context, host: str, port: int) -> None:
    """Run the meeting service (seed 001's API) on the configured backend and database.

    Configured from the environment: the backend as for every anyvideo command
    (ANYVIDEO_BACKEND, ...), ANYVIDEO_MEETINGS_DATABASE_URL, ANYVIDEO_MEETINGS_AUTH_SECRET.
    With nothing configured: the local backend and SQLite files in this folder.
    """
    if context.invoked_subcommand is not None:
        return
    _require_extra()
    import uvicorn

    from anyvideo.meetings.app import create_app
    from anyvideo.meetings.settings import Settings

    app = create_app(Settings.from_env())
    uvicorn.run(app, host=host, port=port, log_level="info")


@serve.command("migrate")
def migrate_command() -> None:
    """Upgrade the service's database to this version's schema (the service also does it on start)."""
    _require_extra()
    from anyvideo.meetings.db import make_engine, migrate
    from anyvideo.meetings.settings import Settings

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    click.echo(f"the database is at the newest schema: {engine.url.render_as_string(hide_password=True)}")


@serve.command("token")
@click.option(
    "--permissions",
    "-p",
    required=True,
    help="Comma-separated permission names (CreateMeetingSession,GenerateMeetingToken,...), or 'all'.",
)
@click.option("--subject", default="developer", show_default=True, help="Who the token is for (its sub claim).")
@click.option("--ttl", type=float, default=3600, show_default=True, help="Seconds the token is valid.")
def token_command(permissions: str, subject: str, ttl: float) -> None:
    """Print a bearer token for the service, signed with its secret (for development)."""
    from anyvideo.meetings.auth import Permission, mint_token
    from anyvideo.meetings.settings import Settings

    names = [p.value for p in Permission] if permissions.strip() == "all" else permissions.split(",")
    try:
        token = mint_token(
            Settings.from_env().auth_secret, [n.strip() for n in names if n.strip()], subject=subject, ttl=ttl
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--permissions") from None
    click.echo(token)
