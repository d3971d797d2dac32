"""``anyvideo provision <backend>``: the command-line face of :mod:`anyvideo.provisioning`.

Each backend that registers a provisioner is a subcommand; the account's
credentials come from the environment, as for every other command. What it
prints is the settings an application needs: ``export`` lines (``eval`` them,
or keep them in a file only you can read) or, with ``--json``, one JSON object.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = ["provision"]

_NAME = click.option("--name", default="anyvideo", show_default=True, help="The application's (or key's) name.")
_PUBLIC_URL = click.option(
    "--public-url",
    required=True,
    help="Where the application is reachable: callbacks go to its /webhooks/provider (anyvideo serve's).",
)
_PHONE = click.option("--phone", is_flag=True, help="Also set up what phone participants need.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON, not export lines.")


@click.group("provision")
def provision() -> None:
    """Create (or bring up to date) a provider's application, keys and callbacks for anyvideo."""


@provision.command("vonage")
@_NAME
@_PUBLIC_URL
@_PHONE
@click.option("--rotate-key", is_flag=True, help="Make a new key pair, replacing the application's (and the file).")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the private key is kept (default: ./NAME.key); written with mode 0600.",
)
@_JSON
def provision_vonage(
    name: str, public_url: str, phone: bool, rotate_key: bool, key_file: Path | None, as_json: bool
) -> None:
    """A Vonage application (Application API v2, with VONAGE_API_KEY and VONAGE_API_SECRET):
    found by name and updated in place, or created; its video callbacks at anyvideo's."""
    _run("vonage", as_json, name=name, public_url=public_url, phone=phone, rotate_key=rotate_key, key_file=key_file)


@provision.command("twilio")
@_NAME
@_PUBLIC_URL
@_PHONE
@_JSON
def provision_twilio(name: str, public_url: str, phone: bool, as_json: bool) -> None:
    """A new Twilio API key (with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN), whose secret is
    printed this once, and the status callback the backend gives the rooms it creates."""
    _run("twilio", as_json, name=name, public_url=public_url, phone=phone)


def _run(backend: str, as_json: bool, **asked: Any) -> None:
    from anyvideo.provisioning import provision as provision_call

    done = provision_call(backend, **asked)
    if as_json:
        click.echo(json.dumps(done.to_json(), indent=2))
        return
    click.echo(f"# {'created' if done.created else 'updated'}: {done.resource}")
    for note in done.notes:
        click.echo(f"# {note}")
    click.echo(done.exports(), nl=False)
