"""The emulator infrastructure every provider face shares, tested through a
minimal face that speaks a made-up REST API."""

from __future__ import annotations

import collections
import http.server
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest
import requests

from anyvideo.errors import AuthenticationError, ConfigurationError, Forbidden
from anyvideo.local.tokens import LocalTokens
from anyvideo.models import Role
from anyvideo.sim import Grant
from anyvideo.sim.world import default_ids
from anyvideo.testing import Emulator, EmulatorControl
from anyvideo.testing.faults import Fault, Faults
from anyvideo.testing.server import HttpError, Request, Response, route

KEY = "let-me-in"


class MiniEmulator(Emulator):
    """A face with a header key, JSON errors and the local backend's token format."""

    name = "mini"

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.tokens = LocalTokens(self.world)
        self.callback_url: str | None = None

    def new_id(self, kind: str) -> str:
        return default_ids(kind)

    def authenticate(self, request: Request) -> None:
        if request.header("X-Key") != KEY:
            raise HttpError(401, "bad key")

    def error_response(self, status: int, message: str, code: int | str | None = None) -> Response:
        return Response.json({"status": status, "message": message}, status)

    def verify_client_token(self, token: str) -> Grant:
        return self.tokens.verify(token)

    @property
    def credentials(self) -> dict[str, str]:
        return {"key": KEY}

    @property
    def backend_settings(self) -> dict[str, str]:
        return {}  # no anyvideo backend speaks this made-up API

    @property
    def backend_environment(self) -> dict[str, str]:
        return {}

    def on_event(self, event) -> None:
        if self.callback_url:
            self.callbacks.send(self.callback_url, event.type.encode(), {"Content-Type": "text/plain"})

    @route("POST", "/rooms")
    def create_room(self, request: Request) -> dict:
        return {"id": self.world.create_room(request.json().get("name")).id}

    @route("GET", "/rooms/{room_id}")
    def get_room(self, request: Request) -> dict:
        room = self.world.get_room(request.params["room_id"])
        return {"id": room.id, "status": room.status.value}

    @route("GET", "/rooms/mine")
    def literal_beats_parameter(self, request: Request) -> dict:
        return {"mine": True}

    @route("POST", "/rooms/{room_id}/tokens")
    def mint(self, request: Request) -> dict:
        body = request.json()
        role = Role(body.get("role", "publisher"))
        grant = Grant(request.params["room_id"], body["identity"], role, self.tokens.expiry(body.get("ttl", 60)))
        return {"token": self.tokens.mint(grant)}

    @route("POST", "/rooms/{room_id}/recordings")
    def start_recording(self, request: Request) -> dict:
        return {"id": self.world.start_recording(request.params["room_id"]).id}

    @route("POST", "/recordings/{recording_id}/stop")
    def stop_recording(self, request: Request) -> dict:
        return {"status": self.world.stop_recording(request.params["recording_id"]).status.value}

    @route("GET", "/recordings/{recording_id}")
    def recording(self, request: Request) -> dict:
        return {"status": self.world.get_recording(request.params["recording_id"]).status.value}


@pytest.fixture
def mini() -> Iterator[MiniEmulator]:
    with MiniEmulator(processing_delay=30, seed=7) as running:
        yield running


@pytest.fixture
def api(mini: MiniEmulator) -> requests.Session:
    session = requests.Session()
    session.headers["X-Key"] = KEY
    return session


def test_routes_answer_with_path_parameters(mini, api):
    room_id = api.post(f"{mini.base_url}/rooms", json={"name": "standup"}).json()["id"]
    assert api.get(f"{mini.base_url}/rooms/{room_id}").json() == {"id": room_id, "status": "open"}


def test_a_literal_segment_wins_over_a_parameter(mini, api):
    assert api.get(f"{mini.base_url}/rooms/mine").json() == {"mine": True}


def test_unknown_path_is_a_404_in_the_faces_format(mini, api):
    answer = api.get(f"{mini.base_url}/nowhere")
    assert (answer.status_code, answer.json()["status"]) == (404, 404)


def test_wrong_method_is_a_405(mini, api):
    assert api.delete(f"{mini.base_url}/rooms").status_code == 405


def test_provider_paths_need_the_faces_credentials(mini):
    answer = requests.post(f"{mini.base_url}/rooms", json={})
    assert (answer.status_code, answer.json()["message"]) == (401, "bad key")


def test_errors_of_the_world_become_http_statuses(mini, api):
    assert api.get(f"{mini.base_url}/rooms/rm_missing").status_code == 404
    api.post(f"{mini.base_url}/rooms", json={"name": "standup"})
    assert api.post(f"{mini.base_url}/rooms", json={"name": "standup"}).status_code == 409


def test_json_answers_say_so_exactly(mini, api):
    answer = api.post(f"{mini.base_url}/rooms", json={})
    assert answer.headers["Content-Type"] == "application/json"


def test_the_control_api_plays_a_browser_with_a_verified_token(mini, api):
    room_id = api.post(f"{mini.base_url}/rooms", json={}).json()["id"]
    token = api.post(f"{mini.base_url}/rooms/{room_id}/tokens", json={"identity": "ann"}).json()["token"]
    ann = mini.control.join(token)
    stream_id = ann.publish(name="camera")
    assert (ann.identity, ann.room_id) == ("ann", room_id)
    assert [s.id for s in mini.world.streams(room_id)] == [stream_id]
    ann.unpublish(stream_id)
    ann.leave()
    assert list(mini.world.streams(room_id)) == []


def test_the_control_api_refuses_a_subscriber_publishing(mini, api):
    room_id = api.post(f"{mini.base_url}/rooms", json={}).json()["id"]
    token = api.post(f"{mini.base_url}/rooms/{room_id}/tokens", json={"identity": "ann", "role": "subscriber"})
    ann = mini.control.join(token.json()["token"])
    with pytest.raises(Forbidden):
        ann.publish()


def test_the_control_api_refuses_an_expired_token(mini, api):
    room_id = api.post(f"{mini.base_url}/rooms", json={}).json()["id"]
    token = api.post(f"{mini.base_url}/rooms/{room_id}/tokens", json={"identity": "ann", "ttl": 60}).json()["token"]
    mini.control.advance(61)
    with pytest.raises(AuthenticationError):
        mini.control.join(token)


def test_advancing_the_clock_finishes_processing(mini, api):
    room_id = api.post(f"{mini.base_url}/rooms", json={}).json()["id"]
    recording_id = api.post(f"{mini.base_url}/rooms/{room_id}/recordings").json()["id"]
    assert api.post(f"{mini.base_url}/recordings/{recording_id}/stop").json()["status"] == "processing"
    before = mini.clock.now()
    after = mini.control.advance(30)
    assert after - before >= timedelta(seconds=30)
    assert api.get(f"{mini.base_url}/recordings/{recording_id}").json()["status"] == "available"


def test_a_scripted_429_carries_retry_after_then_lets_requests_through(mini, api):
    mini.faults.script("^/rooms$", [Fault(status=429, retry_after=3), None])
    first = api.post(f"{mini.base_url}/rooms", json={})
    second = api.post(f"{mini.base_url}/rooms", json={})
    assert (first.status_code, first.headers["Retry-After"], first.json()["status"]) == (429, "3", 429)
    assert second.status_code == 200
    assert len(list(mini.world.rooms())) == 1  # the refused request changed nothing


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_injected_in_the_faces_format(mini, api, status):
    mini.faults.add(Fault(status=status), path="^/rooms$", method="POST")
    answer = api.post(f"{mini.base_url}/rooms", json={})
    assert (answer.status_code, answer.json()["status"]) == (status, status)
    assert api.get(f"{mini.base_url}/rooms/mine").status_code == 200  # other paths and methods are spared


def test_a_dropped_connection_gets_no_answer(mini, api):
    mini.faults.script("^/rooms$", [Fault(drop=True)])
    with pytest.raises(requests.ConnectionError):
        api.post(f"{mini.base_url}/rooms", json={})
    assert api.post(f"{mini.base_url}/rooms", json={}).status_code == 200


def test_latency_delays_the_answer(mini, api):
    mini.faults.script("^/rooms/mine$", [Fault(latency=0.3)])
    started = time.monotonic()
    api.get(f"{mini.base_url}/rooms/mine")
    assert time.monotonic() - started >= 0.3


def test_fault_rates_are_repeatable_with_a_seed():
    def draws(seed: int) -> list[bool]:
        with MiniEmulator(seed=seed) as running:
            running.faults.add(Fault(status=500), rate=0.3)
            return [running.faults.draw("GET", "/x") is not None for _ in range(200)]

    first, second = draws(11), draws(11)
    assert first == second
    assert 30 < sum(first) < 90


def test_a_lost_answer_does_the_work_and_drops_the_connection(mini, api):
    mini.faults.script("^/rooms$", [Fault(lost=True)])
    with pytest.raises(requests.ConnectionError):
        api.post(f"{mini.base_url}/rooms", json={})
    assert len(list(mini.world.rooms())) == 1


def test_a_late_landing_lands_after_the_repeat_is_sent_and_before_it_is_handled(mini, api):
    mini.faults.script("^/rooms$", [Fault(late=1)], method="POST")
    with pytest.raises(requests.Timeout):
        api.post(f"{mini.base_url}/rooms", json={}, timeout=0.05)
    time.sleep(0.2)  # however long the client waits, nothing lands before its repeat
    assert list(mini.world.rooms()) == []
    seen_by_repeat = api.get(f"{mini.base_url}/rooms/mine", timeout=5)  # another path: still held
    assert seen_by_repeat.status_code == 200 and list(mini.world.rooms()) == []
    api.post(f"{mini.base_url}/rooms", json={}, timeout=5)
    assert len(list(mini.world.rooms())) == 2  # the late one landed first, then the repeat made its own


def test_a_late_landing_nobody_repeats_lands_when_told(mini, api):
    mini.faults.script("^/rooms$", [Fault(late=1)])
    with pytest.raises(requests.Timeout):
        api.post(f"{mini.base_url}/rooms", json={}, timeout=0.05)
    mini.faults.land()
    assert len(list(mini.world.rooms())) == 1


def test_a_late_landing_after_the_repeat_was_answered(mini, api):
    mini.faults.script("^/rooms$", [Fault(late=2)], method="POST")
    with pytest.raises(requests.Timeout):
        api.post(f"{mini.base_url}/rooms", json={}, timeout=0.05)
    api.post(f"{mini.base_url}/rooms", json={}, timeout=5)
    assert len(list(mini.world.rooms())) == 1  # the repeat's
    api.post(f"{mini.base_url}/rooms", json={}, timeout=5)
    assert len(list(mini.world.rooms())) == 3


def test_every_nth_matching_request_is_faulted():
    faults = Faults()
    faults.every(3, Fault(status=503), path="^/rooms$")
    drawn = [faults.draw("POST", "/rooms") is not None for _ in range(9)]
    assert drawn == [False, False, True] * 3
    assert faults.draw("GET", "/other") is None


def test_a_schedule_faults_exactly_its_counts_at_the_same_numbers_every_run():
    counts = {Fault(status=429, retry_after=0): 7, Fault(late=1): 3, Fault(lost=True): 2}

    def run() -> list[str | None]:
        faults = Faults(seed=5)
        faults.schedule(counts, over=100, method="POST")
        faults.add(Fault(status=500))  # after the schedule is spent: the next rule decides
        drawn = [faults.draw("POST", "/x") for _ in range(101)]
        return [f.kind if f else None for f in drawn]

    first = run()
    assert first == run()
    assert collections.Counter(first[:100]) == {None: 88, "429": 7, "late landing": 3, "lost answer": 2}
    assert first[100] == "500"


def test_a_schedule_over_the_control_api(mini):
    mini.control.set_faults(
        {"seed": 1, "rules": [{"path": "^/rooms$", "over": 4, "schedule": [{"fault": {"status": 503}, "count": 4}]}]}
    )
    assert [mini.faults.draw("POST", "/rooms").kind for _ in range(4)] == ["503"] * 4
    assert mini.faults.draw("POST", "/rooms") is None


def test_a_fault_is_one_kind():
    with pytest.raises(ValueError, match="one of"):
        Fault(status=500, late=1)


def test_faults_configured_over_the_control_api(mini, api):
    mini.control.set_faults({"rules": [{"path": "^/rooms$", "script": [{"status": 503}]}]})
    assert api.post(f"{mini.base_url}/rooms", json={}).status_code == 503
    mini.control.clear_faults()
    assert api.post(f"{mini.base_url}/rooms", json={}).status_code == 200


def test_control_paths_are_never_faulted(mini):
    mini.faults.add(Fault(status=500))
    assert mini.control.callbacks() == []


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_callbacks_reach_a_loopback_receiver_in_order(mini, api, receiver):
    mini.callback_url = receiver
    room_id = api.post(f"{mini.base_url}/rooms", json={}).json()["id"]
    api.post(f"{mini.base_url}/rooms/{room_id}/recordings")
    deliveries = mini.control.callbacks()
    assert [d["body"] for d in deliveries] == ["room.started", "recording.started"]
    assert [d["status"] for d in deliveries] == [204, 204]
    assert _Receiver.received == [b"room.started", b"recording.started"]


def test_callbacks_to_other_hosts_are_recorded_but_never_sent(mini, api):
    mini.callback_url = "http://192.0.2.1/hook"
    api.post(f"{mini.base_url}/rooms", json={})
    (delivery,) = mini.control.callbacks()
    assert delivery["status"] is None and "loopback" in delivery["error"]


def test_an_emulator_serves_https_with_its_own_authority():
    with MiniEmulator(tls=True) as running:
        assert running.base_url.startswith("https://127.0.0.1:")
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{running.base_url}/rooms/mine", headers={"X-Key": KEY})
        answer = requests.get(f"{running.base_url}/rooms/mine", headers={"X-Key": KEY}, verify=running.ca_bundle)
        assert answer.json() == {"mine": True}


def test_an_emulator_listens_on_loopback_only():
    with pytest.raises(ValueError):
        MiniEmulator(host="0.0.0.0")


def test_a_backend_pointed_at_an_emulator_gets_its_control_api(mini, api):
    host = mini.base_url.split("//", 1)[1]
    control = EmulatorControl.for_backend(host if mini.base_url.startswith("https") else mini.base_url, "mini")
    room_id = api.post(f"{mini.base_url}/rooms", json={}).json()["id"]
    token = api.post(f"{mini.base_url}/rooms/{room_id}/tokens", json={"identity": "ann"}).json()["token"]
    assert control.join(token).identity == "ann"


@pytest.mark.parametrize("where", ["https://video.api.vonage.com", "video.twilio.com", "http://10.0.0.1:8080", None])
def test_a_backend_pointed_at_a_real_platform_has_no_control_api(where):
    with pytest.raises(ConfigurationError, match="mini backend talks to a real platform"):
        EmulatorControl.for_backend(where, "mini")


@pytest.mark.parametrize(
    ("where", "url"),
    [("127.0.0.1:8443", "https://127.0.0.1:8443"), ("http://localhost:80", "http://localhost:80"), ("[::1]:9", None)],
)
def test_a_bare_host_means_https(where, url):
    assert EmulatorControl.for_backend(where, "mini").base_url == (url or f"https://{where}")


def test_an_answer_the_client_stopped_waiting_for_is_lost_quietly(mini, api, capfd):
    room_id = api.post(f"{mini.base_url}/rooms", json={}).json()["id"]
    mini.faults.script(f"^/rooms/{room_id}$", [Fault(latency=0.3)] * 5)
    for _ in range(5):
        with pytest.raises(requests.exceptions.ReadTimeout):
            api.get(f"{mini.base_url}/rooms/{room_id}", timeout=0.05)
    time.sleep(0.6)  # the handlers write their answers to closed connections
    assert "Traceback" not in capfd.readouterr().err
    assert api.get(f"{mini.base_url}/rooms/{room_id}").status_code == 200


def test_a_routed_request_keeps_every_field_and_gains_its_path_parameters() -> None:
    request = Request("POST", "/v1/Rooms/RM1", {"a": ["1"]}, {"host": "h"}, b"x=1", "http://h/v1/Rooms/RM1")
    assert request.with_params({"sid": "RM1"}) == attrs.evolve(request, params={"sid": "RM1"})
    # with_params names every field: one added to Request must be added there too
    assert [field.name for field in attrs.fields(Request)] == [
        "method",
        "path",
        "query",
        "headers",
        "body",
        "url",
        "params",
    ]


def test_an_emulators_store_keeps_its_records_in_large_pages(mini) -> None:
    # a record of a kilobyte or two fills a 4 KiB page badly, and SQLite keeps a header beside each page
    from anyvideo.sim import Store
    from anyvideo.testing.server import STORE_PAGE_SIZE

    db = mini.world.store._db
    assert STORE_PAGE_SIZE == db.execute("PRAGMA page_size").fetchone()[0] == 16384
    assert Store()._db.execute("PRAGMA page_size").fetchone()[0] == 4096  # the default elsewhere
