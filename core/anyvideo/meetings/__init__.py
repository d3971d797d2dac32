"""The meeting service: seed 001's video-conferencing API over any anyvideo backend.

Meetings with links, scheduling, role tokens with expiry, attendees kept from the
backend's webhooks, ending and archives, behind bearer JWTs carrying named
permissions, on a SQL database (SQLite by default) migrated by Alembic.
``anyvideo serve`` runs it (install the ``serve`` extra); :func:`anyvideo.meetings.app.create_app`
builds the ASGI application. See docs/meetings.md.

This package imports nothing heavy here: ``anyvideo serve --help`` works without the extra.
"""
