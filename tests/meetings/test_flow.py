"""The seed's whole flow over real HTTP on each backend: the local one, and the Vonage and
Twilio emulators delivering their callbacks to the service's mounted webhook adapter.

The service runs under uvicorn on loopback; the browsers are the emulators' settled
devices, so every action returns once the callbacks it caused were answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import boto3
import pytest
import requests
from support.meetings import Api, bearer, served, settings_for
from support.serving import closed_port

import anyvideo
from anyvideo import StreamKind, Video
from anyvideo.meetings.app import PROVIDER_WEBHOOKS, create_app
from anyvideo.sim import ManualClock
from anyvideo.testing import Emulator, SettledDevices

#: The signature secret of the Vonage emulator's callbacks in these tests.
VONAGE_SECRET = "meetings-flow-vonage-signature-secret-32b"


@attrs.frozen
class Deployment:
    """The service on one backend, and the backend as the test plays it."""

    api: Api
    video: Video
    devices: Any
    advance: Callable[[float], object]
    settle: Callable[[], object]


class Http:
    """``requests`` against the served service, shaped as the TestClient calls of :class:`Api`."""

    def __init__(self, base: str) -> None:
        self.base = base

    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        if "content" in options:  # the TestClient's name of a raw body
            options["data"] = options.pop("content")
        return requests.request(method, self.base + path, timeout=60, **options)

    def post(self, path: str, **options: Any) -> requests.Response:
        return self.request("POST", path, **options)

    def put(self, path: str, **options: Any) -> requests.Response:
        return self.request("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> requests.Response:
        return self.request("PATCH", path, **options)

    def get(self, path: str, **options: Any) -> requests.Response:
        return self.request("GET", path, **options)

    def delete(self, path: str, **options: Any) -> requests.Response:
        return self.request("DELETE", path, **options)


@pytest.fixture(params=["local", "vonage", "twilio"])
def deployment(request: pytest.FixtureRequest, database_url: str) -> Iterator[Deployment]:
    database = database_url
    port = closed_port()
    hooks = f"http://127.0.0.1:{port}{PROVIDER_WEBHOOKS}"
    backend = request.param
    if backend == "local":
        clock = ManualClock()
        with anyvideo.connect("local", clock=clock, processing_delay=2, environ={}) as video:
            app = create_app(settings_for(database), video=video, clock=clock)
            with served(app, port) as base:
                api = Api(Http(base), clock=clock, jobs=app.state.jobs)
                yield Deployment(api, video, video.backend.browser(), lambda s: clock.advance(seconds=s), lambda: None)
        return
    emulator: Emulator = request.getfixturevalue(f"{backend}_emulator")
    control = emulator.control
    if backend == "vonage":
        video = emulator.connect(signature_secret=VONAGE_SECRET)
        urls = {kind: hooks for kind in ("session", "archive", "broadcast", "render")}
        control.call("PUT", "/vonage/callbacks", urls | {"signature_secret": VONAGE_SECRET})
    else:
        video = emulator.connect(status_callback=hooks)
    app = create_app(settings_for(database), video=video, clock=emulator.clock)
    with served(app, port) as base:
        api = Api(Http(base), clock=emulator.clock, jobs=app.state.jobs)
        yield Deployment(api, video, SettledDevices(control), control.advance, control.callbacks)
        control.callbacks()


def test_the_seeds_flow(deployment: Deployment, s3_endpoint: str) -> None:
    api, video, backend = deployment.api, deployment.video, deployment.video.backend_name
    # The storage target: a bucket every recording that becomes available is copied to.
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    bucket = f"flow-{backend}-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    target = {"type": "s3", "bucket": bucket, "endpointUrl": s3_endpoint, "accessKeyId": "k", "secretAccessKey": "s"}
    assert api.client.put("/archives/storage-target", json=target, headers=api.headers).text == f"s3://{bucket}"

    # Create: an archiving meeting now, and one scheduled for tomorrow (no room yet).
    link = api.create(enableArchiving=True, extId="crm-7")
    scheduled = api.create(isScheduled=True, scheduleTime="2099-01-01T09:00:00Z")
    edited = api.client.patch(f"/session/{scheduled}", json={"extMetadata": {"agenda": "q3"}}, headers=api.headers)
    assert edited.status_code == 204
    encrypted = api.client.post("/session", json={"e2ee": True}, headers=api.headers)
    if video.supports("e2ee"):
        assert encrypted.status_code == 200 and video.rooms.get(name=f"meeting-{encrypted.text}")
    else:
        assert encrypted.status_code == 400 and f"the {backend} backend cannot encrypt" in encrypted.json()["detail"]
    rooms_before = {room.name for room in video.rooms.list()}
    assert f"meeting-{scheduled}" not in rooms_before and f"meeting-{link}" in rooms_before

    # A token per role: what the backend can grant, and a refusal naming it for what it cannot.
    tokens = {}
    for role in ("moderator", "publisher", "subscriber"):
        answer = api.client.post(f"/session/{link}/token", json={"role": role, "identity": role}, headers=api.headers)
        if role == "publisher" or video.supports("token_roles"):
            assert answer.status_code == 200, answer.text
            tokens[role] = answer.json()["token"]
        else:
            assert answer.status_code == 400 and answer.json()["field"] == "role"
            assert f"the {backend} backend cannot grant the role {role}" in answer.json()["detail"]
    assert api.token(scheduled)["sessionId"]  # the scheduled meeting's room, made now

    # Attendees, from the backend's events: who joins, who publishes, who leaves.
    clients = {role: deployment.devices.join(token) for role, token in tokens.items()}
    for kind in (StreamKind.AUDIO, StreamKind.VIDEO):  # one track per kind, as every provider takes them
        clients["publisher"].publish(kind)
    deployment.settle()
    assert api.who(link, active=True) == sorted(tokens)
    extra = {"meetingLinkId": link, "attendee": "dial-in", "event": "joined"}
    assert api.webhook(extra).status_code == 204
    clients["publisher"].leave()
    deployment.settle()
    assert api.who(link, active=False) == ["publisher"]
    assert api.who(link, active=True) == sorted({*tokens, "dial-in"} - {"publisher"})

    # The archive started with the first stream.
    [archive] = api.archives()["items"]
    assert archive["meetingLinkId"] == link and archive["status"] == "recording"

    # End: once; then no token.
    deployment.advance(5)
    api.end(link)
    deployment.settle()
    assert api.client.patch(f"/session/{link}/end", headers=api.headers).status_code == 409
    assert api.client.post(f"/session/{link}/token", json={}, headers=api.headers).status_code == 409
    assert "moderator" not in api.who(link, active=True)

    # The archive becomes available; then it is deleted on the provider and in the database.
    deployment.advance(30)
    deployment.settle()
    fetched = api.client.get(f"/archives/{archive['archiveId']}", headers=api.headers).json()
    assert fetched["status"] == "available", fetched
    api.drain()  # the copy to the storage target
    recording = video.recordings.get(archive["archiveId"])
    copied = {
        f"recordings/{recording.provider}/{recording.id}/{media.name}": b"".join(
            video.recordings.iter_bytes(recording, file_name=media.name)
        )
        for media in recording.files
    }
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed} == copied
    deleted = api.client.delete(f"/archives/{archive['archiveId']}", headers=bearer(["DeleteMeetingArchive"]))
    assert (deleted.status_code, deleted.text) == (200, archive["archiveId"])
    assert api.archives()["count"] == 0
    assert api.client.get(f"/archives/{archive['archiveId']}", headers=api.headers).status_code == 404
