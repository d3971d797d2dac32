"""``anyvideo provision BACKEND``: the command-line face of :mod:`anyvideo.provisioning`.

Any backend whose plugin registers a provisioner can be named; the account's
credentials come from the environment, as for every other command. What it
prints is the settings an application needs: ``export`` lines (``eval`` them,
or keep them in a file only you can read) or, with ``--json``, one JSON object.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["provision"]


@click.command("provision")
@click.argument("backend")
@click.option("--name", default="anyvideo", show_default=True, help="The application's (or key's) name.")
@click.option(
    "--public-url",
    required=True,
    help="Where the application is reachable: the provider's callbacks go to its /webhooks/provider.",
)
@click.option("--phone", is_flag=True, help="Also set up what phone participants need.")
@click.option(
    "--rotate-key",
    is_flag=True,
    help="Make a new key pair, replacing the application's and the key file (backends that keep one).",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the private key is kept, mode 0600 (backends that make one; default: ./NAME.key).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON, not export lines.")
def provision(
    backend: str, name: str, public_url: str, phone: bool, rotate_key: bool, key_file: Path | None, as_json: bool
) -> None:
    """Create (or bring up to date) BACKEND's application, keys and callbacks for anyvideo, and
    print the settings an application needs. Run again, it updates what it made (see
    docs/provisioning.md for what each provider keeps)."""
    from anyvideo.provisioning import provision as provision_call

    done = provision_call(
        backend, name=name, public_url=public_url, phone=phone, rotate_key=rotate_key, key_file=key_file
    )
    if as_json:
        click.echo(json.dumps(done.to_json(), indent=2))
        return
    click.echo(f"# {'created' if done.created else 'updated'}: {done.resource}")
    for note in done.notes:
        click.echo(f"# {note}")
    click.echo(done.exports(), nl=False)
