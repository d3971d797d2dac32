"""The emulator's Application API as the SDK's ``Application`` client meets it: Basic auth with
the account's key and secret only; an application made there signs Video API JWTs and client
tokens with its own key (refused once replaced or deleted); its video webhooks are where its
sessions' callbacks go; the emulator's own application is listed and takes callback URLs too."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.receiver import Receiver
from vonage import Auth, HttpClientOptions, Vonage
from vonage_application import ApplicationConfig, ListApplicationsFilter
from vonage_http_client.errors import AuthenticationError as SdkAuthenticationError
from vonage_http_client.errors import HttpRequestError, NotFoundError
from vonage_video.models import TokenOptions

from anyvideo_vonage.emulator.applications import VIDEO_WEBHOOKS


@pytest.fixture
def emulator(anyvideo_emulator: Any) -> Any:
    return anyvideo_emulator("vonage")


def _sdk(emulator: Any, **auth: str) -> Vonage:
    host = emulator.base_url.removeprefix("https://")
    return Vonage(Auth(**auth), HttpClientOptions(api_host=host, video_host=host))


@pytest.fixture
def account(emulator: Any) -> Vonage:
    return _sdk(emulator, api_key=emulator.application.api_key, api_secret=emulator.application.api_secret)


def _pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


def _create(account: Vonage, name: str, public: str, **extra: Any) -> dict[str, Any]:
    http = account.http_client
    return http.post(
        http.api_host, "/v2/applications", {"name": name, "keys": {"public_key": public}, **extra}, "basic"
    )


def test_only_the_accounts_key_and_secret_manage_applications(emulator, account) -> None:
    wrong = _sdk(emulator, api_key=emulator.application.api_key, api_secret="not-the-secret")
    with pytest.raises(SdkAuthenticationError):
        wrong.application.list_applications()
    with_jwt = _sdk(
        emulator, application_id=emulator.application.application_id, private_key=emulator.application.private_key
    )
    with pytest.raises(SdkAuthenticationError):  # the SDK sends Basic: an application's own JWT is not the account
        with_jwt.http_client.get(with_jwt.http_client.api_host, "/v2/applications", None, "jwt")
    listed, _ = account.application.list_applications()
    assert [a.id for a in listed] == [emulator.application.application_id]


def test_a_made_application_signs_video_requests_until_its_key_is_replaced(emulator, account) -> None:
    private, public = _pair()
    made = _create(account, "clinic", public)
    video = _sdk(emulator, application_id=made["id"], private_key=private)
    session = video.video.create_session()
    assert emulator.project_of_session(session.session_id) == made["id"]

    _, other_public = _pair()
    http = account.http_client
    http.put(
        http.api_host,
        f"/v2/applications/{made['id']}",
        {"name": "clinic", "keys": {"public_key": other_public}},
        "basic",
    )
    with pytest.raises(HttpRequestError):  # the JWT it verified before, refused now
        video.video.create_session()


def test_a_made_applications_client_tokens_join_and_deleted_it_is_refused(emulator, account) -> None:
    private, public = _pair()
    made = _create(account, "clinic", public)
    video = _sdk(emulator, application_id=made["id"], private_key=private)
    session = video.video.create_session()
    token = video.video.generate_client_token(TokenOptions(session_id=session.session_id, role="publisher"))
    client = emulator.control.join(token.decode())
    assert client.participant_id
    account.application.delete_application(made["id"])
    with pytest.raises(NotFoundError):
        account.application.get_application(made["id"])
    with pytest.raises(HttpRequestError):
        video.video.create_session()


def test_callbacks_go_to_the_applications_active_video_webhooks(emulator, account) -> None:
    private, public = _pair()
    with Receiver() as receiver:
        hooks = {slot: {"address": receiver.url(f"/{slot}"), "active": True} for slot in VIDEO_WEBHOOKS}
        hooks["stream_created"]["active"] = False
        made = _create(account, "clinic", public, capabilities={"video": {"webhooks": hooks}})
        video = _sdk(emulator, application_id=made["id"], private_key=private)
        session = video.video.create_session()
        token = video.video.generate_client_token(TokenOptions(session_id=session.session_id))
        client = emulator.control.join(token.decode())
        client.publish()
        emulator.callbacks.flush()
        assert [body["event"] for body in receiver.bodies("/connection_created")] == ["connectionCreated"]
        assert receiver.bodies("/session_created") and not receiver.at("/stream_created")


def test_the_emulators_own_application_takes_callback_urls(emulator, account) -> None:
    own = emulator.application.application_id
    http = account.http_client
    hooks = {slot: {"address": f"https://app.example/{kind}", "active": True} for slot, kind in VIDEO_WEBHOOKS.items()}
    http.put(
        http.api_host,
        f"/v2/applications/{own}",
        {"name": "mine", "capabilities": {"video": {"webhooks": hooks}}},
        "basic",
    )
    described = emulator.callback_settings.describe()
    assert {kind: described[kind] for kind in ("session", "archive", "broadcast", "render")} == {
        kind: f"https://app.example/{kind}" for kind in ("session", "archive", "broadcast", "render")
    }
    assert account.application.get_application(own).name == "mine"


def test_listing_pages_as_the_sdk_reads_them(emulator, account) -> None:
    for number in range(3):
        _create(account, f"app-{number}", _pair()[1])
    first, next_page = account.application.list_applications(ListApplicationsFilter(page_size=2, page=1))
    second, last = account.application.list_applications(ListApplicationsFilter(page_size=2, page=next_page))
    assert [a.name for a in first + second] == ["anyvideo emulator", "app-0", "app-1", "app-2"] and last is None
    made = account.application.create_application(ApplicationConfig(name="keys-by-vonage"))
    assert made.keys.private_key and emulator.applications.public_key(made.id) is not None
