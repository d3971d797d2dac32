"""The emulators' throughput against a bare ``http.server`` on the same footing.

Run on demand (the default test run does not collect it):

    pytest tests/benchmarks/bench_emulators.py -s -p no:randomly

Each server runs in a process of its own: the provider's emulator through
``anyvideo emulator`` (:func:`~benchmarks.harness.served`), and the baseline,
a stdlib ``ThreadingHTTPServer`` whose handler answers every request with a
fixed JSON body (:func:`serve_bare`). The baseline gets what the emulator's
server gets from the stdlib and nothing less: a thread per connection, HTTP/1.1
keep-alive with a ``Content-Length``, Nagle's algorithm off, no request log,
and the same TLS or not as the emulator under test (a throw-away CA, as the
emulator makes).

The load comes from this process: :data:`CLIENTS` threads, each with its own
``requests.Session`` (one keep-alive connection each), share a batch of
:data:`BATCH` requests. Per emulator, the contenders are interleaved round by
round (:class:`~benchmarks.harness.Contest`, the order rotating): the bare
server, an authenticated read (Twilio: GET a room; Vonage: GET a session's
streams), an authenticated write (Twilio: create a room; Vonage: create a
session), and, for the notes, a GET of an unknown path (the emulator's HTTP
layer and its error envelope, no store) and a POST of the write's body to an
unknown path (the same for a write, its body read): what a write costs beyond
the latter is the write's own work.

What is compared is the **server's processor time per request** (user and
system, all threads, read from ``/proc`` around each batch), bare over
emulator: the requests per second each sustains on the one core its GIL lets
it use. Wall-clock rates are printed too, but on a two-core machine a
``requests`` client costs several times what either server does per request,
so it, not the server, sets the pace: a client-bound rate would hide the
server's cost. A ratio is the median of the per-round ratios.

Every answer's status is checked, the bare server's body, and that every
write made a new room or session. Vonage requests carry one application JWT
signed up front (as a client that caches its JWT sends them); Twilio's carry
HTTP Basic with the API key.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import requests
from benchmarks.harness import Contest, Report, Result, Row, child_pid, cpu_seconds, served

#: Client threads, each with its own session (one keep-alive connection each).
CLIENTS = 4
#: Requests per contender per round, shared by the client threads.
BATCH = 1200
ROUNDS = 7
WARMUP = 1
TARGET = 0.5
#: The bare server's fixed answer, about the size of an emulator's room.
BARE_BODY = json.dumps({"sid": "RM" + "0" * 32, "status": "in-progress", "links": {"x": "y" * 600}}).encode()


# --- the baseline: a bare http.server, in a process of its own ----------------------


class _Bare(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BARE_BODY)))
        self.end_headers()
        self.wfile.write(BARE_BODY)

    do_GET = do_POST = _answer


def serve_bare(tls: bool) -> None:
    """A bare ``http.server`` on loopback until killed; prints its URL (and CA bundle)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bare)
    server.daemon_threads = True
    scheme = "http"
    if tls:
        import ssl

        import trustme

        authority = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(context)
        bundle = Path(tempfile.mkdtemp(prefix="bare-ca-")) / "ca.pem"
        authority.cert_pem.write_to_path(str(bundle))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
        print(f"ca bundle: {bundle}")
    print(f"listening at {scheme}://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


@contextmanager
def bare(tls: bool) -> Iterator[tuple[str, str | None]]:
    """:func:`serve_bare` in a child process: its base URL and CA bundle."""
    code = f"from benchmarks.bench_emulators import serve_bare; serve_bare({tls})"
    # The child imports this module as the benchmarks do: from the tests folder.
    path = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        bundle = None
        for line in child.stdout:
            if found := re.match(r"ca bundle: (\S+)", line):
                bundle = found[1]
            elif found := re.match(r"listening at (\S+)", line):
                yield found[1], bundle
                break
        else:
            raise RuntimeError(f"the bare server did not start (exit {child.wait()})")
    finally:
        child.terminate()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()


# --- the load -------------------------------------------------------------------------


class Load:
    """:data:`CLIENTS` threads sending ``request(session)`` :data:`BATCH` times between them,
    to the server in process ``pid``, whose processor time each batch costs is noted."""

    def __init__(
        self, pid: int, request: Callable[[requests.Session], requests.Response], expect: int, verify: Any
    ) -> None:
        self.pid, self.request, self.expect = pid, request, expect
        self.sessions = [requests.Session() for _ in range(CLIENTS)]
        for session in self.sessions:
            session.verify = verify
            session.trust_env = False  # the same client for all: no proxy look-up in the environment per request
        #: The server's processor seconds per request, batch by batch.
        self.cpu: list[float] = []

    def __call__(self, i: int) -> None:
        failures: list[str] = []

        def client(session: requests.Session, count: int) -> None:
            for _ in range(count):
                response = self.request(session)
                if response.status_code != self.expect:
                    failures.append(f"{response.status_code} {response.text[:200]}")

        threads = [threading.Thread(target=client, args=(session, BATCH // CLIENTS)) for session in self.sessions]
        before = cpu_seconds(self.pid)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.cpu.append((cpu_seconds(self.pid) - before) / BATCH)
        assert not failures, failures[:3]

    def close(self) -> None:
        for session in self.sessions:
            session.close()


def _bare_load(url: str, bundle: str | None) -> Load:
    def get(session: requests.Session) -> requests.Response:
        response = session.get(url + "/anything")
        assert response.content == BARE_BODY
        return response

    code = f"from benchmarks.bench_emulators import serve_bare; serve_bare({bundle is not None})"
    return Load(child_pid("-c", code), get, 200, bundle or True)


def _measure(report: Report, provider: str, loads: dict[str, Load], goals: dict[str, str], why: str) -> None:
    """Interleave the loads round by round; one row per goal (the loads but "bare", "layer" and "post layer")."""
    contest = Contest(rounds=ROUNDS, per_round=1, warmup=WARMUP)
    for name, load in loads.items():
        contest.add(name, load)
    try:
        wall = contest.run()
    finally:
        for load in loads.values():
            load.close()
    cpu = {name: load.cpu[WARMUP:] for name, load in loads.items()}

    def against_bare(name: str) -> float:
        # The server's processor time per request, bare over ours: requests/s on one core, ours over bare's.
        return statistics.median(b / o for b, o in zip(cpu["bare"], cpu[name], strict=True))

    print(f"\n  {provider} emulator, an unknown path: {against_bare('layer'):.2f}× the bare server's rate")
    for name, goal in goals.items():
        measured = against_bare(name)
        note = ""
        if measured < TARGET:
            own = 1 - statistics.median(cpu["post layer"]) / statistics.median(cpu[name])
            note = (
                f"{measured:.2f}× the bare server's rate, the target needs {TARGET / measured:.1f}× that."
                f" The HTTP layer is not what costs: an unknown path (routing, the error body) runs at"
                f" {against_bare('layer'):.2f}× the bare server's rate, a POST of the same body to one at"
                f" {against_bare('post layer'):.2f}×, and beyond that its own work is {own:.0%} of its processor time."
                f" {why}"
            )
        report.add(
            "emulators",
            Row(
                f"{provider} emulator: {goal} (vs a bare http.server, req/s)",
                _rate(cpu[name], wall[name]),
                _rate(cpu["bare"], wall["bare"]),
                measured,
                TARGET,
                lower_is_better=False,
                note=note,
            ),
        )


def _rate(cpu: list[float], wall: Result) -> str:
    """Requests per second of server processor time (median, lowest–highest), and as the client saw them."""
    per_cpu = sorted(1 / seconds for seconds in cpu)
    return (
        f"{statistics.median(per_cpu):,.0f} req/CPU-s ({per_cpu[0]:,.0f}–{per_cpu[-1]:,.0f});"
        f" client {BATCH / wall.median:,.0f} req/s"
    )


#: Why a write costs what it does, beyond the HTTP layer, for the notes.
WRITE_COST = (
    "A create is a change of the simulated platform: one SQLite transaction (the record, with the four listing"
    " indexes and the count trigger that keep listings O(page), and its event), the record, the event and the"
    " answer encoded as JSON, then the face's own bookkeeping as it hears the event. Profiled in process"
    " (callgrind), SQLite runs about a quarter of a create's instructions (its 16 KiB pages, which keep a"
    " seeded emulator's memory flat, cost an eighth of them: the rollback journal copies each page a write"
    " touches) and JSON encoding a fifth; the rest is the handler's Python: the form, the world's change, the"
    " provider's answer."
)


def test_twilio_emulator(report: Report) -> None:
    with served("twilio") as twilio, bare(tls=False) as (bare_url, bundle):
        pid = child_pid("anyvideo.cli", "emulator", "twilio")
        env = twilio.environ
        auth = (env["TWILIO_API_KEY_SID"], env["TWILIO_API_KEY_SECRET"])
        rooms = twilio.base_url + "/v1/Rooms"
        room = requests.post(rooms, auth=auth, timeout=10).json()["sid"]
        created: set[str] = set()

        def read(session: requests.Session) -> requests.Response:
            return session.get(f"{rooms}/{room}", auth=auth)

        def write(session: requests.Session) -> requests.Response:
            response = session.post(rooms, data={"Type": "group"}, auth=auth)
            created.add(response.json()["sid"])
            return response

        def unknown(session: requests.Session) -> requests.Response:
            return session.get(f"{twilio.base_url}/v1/Nowhere", auth=auth)

        def unknown_post(session: requests.Session) -> requests.Response:
            return session.post(f"{twilio.base_url}/v1/Nowhere", data={"Type": "group"}, auth=auth)

        loads = {
            "bare": _bare_load(bare_url, bundle),
            "read": Load(pid, read, 200, True),
            "write": Load(pid, write, 201, True),
            "layer": Load(pid, unknown, 404, True),
            "post layer": Load(pid, unknown_post, 404, True),
        }
        _measure(report, "Twilio", loads, {"read": "GET a room", "write": "create a room"}, WRITE_COST)
    assert len(created) == (WARMUP + ROUNDS) * BATCH  # every write made a room of its own


def test_vonage_emulator(report: Report) -> None:
    with served("vonage") as vonage, bare(tls=True) as (bare_url, bundle):
        pid = child_pid("anyvideo.cli", "emulator", "vonage")
        env = vonage.environ
        application_id, ca = env["VONAGE_APPLICATION_ID"], env["REQUESTS_CA_BUNDLE"]
        now = int(time.time())
        token = jwt.encode(
            {"application_id": application_id, "iat": now, "exp": now + 3600, "jti": "bench"},
            env["VONAGE_PRIVATE_KEY"],
            algorithm="RS256",
        )
        headers = {"Authorization": f"Bearer {token}"}
        base = vonage.base_url
        created = requests.post(f"{base}/session/create", headers=headers, verify=ca, timeout=10)
        session_id = created.json()[0]["session_id"]
        streams = f"{base}/v2/project/{application_id}/session/{session_id}/stream"
        sessions: set[str] = set()

        def read(session: requests.Session) -> requests.Response:
            return session.get(streams, headers=headers)

        def write(session: requests.Session) -> requests.Response:
            response = session.post(f"{base}/session/create", data={"archiveMode": "manual"}, headers=headers)
            sessions.add(response.json()[0]["session_id"])
            return response

        def unknown(session: requests.Session) -> requests.Response:
            return session.get(f"{base}/v2/project/{application_id}/nowhere", headers=headers)

        def unknown_post(session: requests.Session) -> requests.Response:
            return session.post(
                f"{base}/v2/project/{application_id}/nowhere", data={"archiveMode": "manual"}, headers=headers
            )

        loads = {
            "bare": _bare_load(bare_url, bundle),
            "read": Load(pid, read, 200, ca),
            "write": Load(pid, write, 200, ca),
            "layer": Load(pid, unknown, 404, ca),
            "post layer": Load(pid, unknown_post, 404, ca),
        }
        goals = {"read": "GET a session's streams", "write": "create a session"}
        _measure(report, "Vonage", loads, goals, WRITE_COST)
    assert len(sessions) == (WARMUP + ROUNDS) * BATCH  # every write made a session of its own
