"""The registry keeps what a provider does not: entries by kind and key, per namespace."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from support.postgres import postgres, postgres_database  # noqa: F401 - fixtures

from anyvideo.errors import ConfigurationError, Conflict, NotFound
from anyvideo.registry import Registry

#: Every store a registry has: SQLite (in memory, or a file several processes share) and PostgreSQL.
STORES = ["sqlite", "postgresql"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where registries several processes share are: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "registry.db")
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture(params=STORES)
def registry(request: pytest.FixtureRequest) -> Registry:
    """A registry in memory (SQLite), or in a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return Registry(namespace="vonage:app-1")
    return Registry(request.getfixturevalue("postgres_database"), namespace="vonage:app-1")


def test_an_entry_put_is_read_back(registry: Registry) -> None:
    registry.put("room", "s1", {"name": "standup", "status": "open"})
    assert registry.get("room", "s1") == {"name": "standup", "status": "open"}


def test_a_missing_entry_is_none_or_not_found(registry: Registry) -> None:
    assert registry.get("room", "nope") is None
    with pytest.raises(NotFound, match="no room 'nope'"):
        registry.require("room", "nope")


def test_find_filters_on_fields_oldest_first(registry: Registry) -> None:
    for key, status in [("a", "open"), ("b", "ended"), ("c", "open")]:
        registry.put("room", key, {"status": status, "audio_only": key == "c"})
    assert [key for key, _ in registry.find("room", status="open")] == ["a", "c"]
    assert [key for key, _ in registry.find("room", audio_only=True)] == ["c"]
    assert [key for key, _ in registry.find("room", missing=None)] == ["a", "b", "c"]


def test_find_reads_past_one_page(registry: Registry) -> None:
    for n in range(450):
        registry.put("recording", f"r{n}", {"n": n})
    assert [entry["n"] for _, entry in registry.find("recording")] == list(range(450))


def find_work(registry: Registry, kind: str, **equal: object) -> tuple[list[str], int]:
    """The keys ``find`` answers, and the SQLite VM steps it took (in hundreds): a count
    that grows with the rows a query visits, the same on every run."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    registry._db.set_progress_handler(count, 100)
    try:
        keys = [key for key, _ in registry.find(kind, **equal)]  # type: ignore[arg-type]
    finally:
        registry._db.set_progress_handler(None, 100)
    return keys, steps


def test_a_filtered_find_visits_only_what_it_answers() -> None:
    """Filing more entries of other rooms does not make finding one room's entries more work."""
    registry = Registry(namespace="vonage:app-1")
    for n in range(3):
        registry.put("connection", f"mine-{n}", {"room_id": "mine"})
    registry.put("connection", "other-0", {"room_id": "other"})
    few = find_work(registry, "connection", room_id="mine")
    for n in range(1, 3000):
        registry.put("connection", f"other-{n}", {"room_id": "other"})
    many = find_work(registry, "connection", room_id="mine")
    assert few[0] == many[0] == ["mine-0", "mine-1", "mine-2"]
    assert many[1] <= few[1] + 1


def test_replacing_an_entry_keeps_its_place(registry: Registry) -> None:
    registry.put("room", "a", {"v": 1})
    registry.put("room", "b", {"v": 1})
    registry.put("room", "a", {"v": 2})
    assert [(key, entry["v"]) for key, entry in registry.find("room")] == [("a", 2), ("b", 1)]


def test_namespaces_and_kinds_are_apart(store: str) -> None:
    path = store
    one, other = Registry(path, namespace="vonage:app-1"), Registry(path, namespace="vonage:app-2")
    one.put("room", "s1", {"name": "mine"})
    assert other.get("room", "s1") is None
    assert one.get("recording", "s1") is None
    assert Registry(path, namespace="vonage:app-1").get("room", "s1") == {"name": "mine"}


def test_update_changes_in_one_step_and_a_refusal_changes_nothing(registry: Registry) -> None:
    registry.put("room", "s1", {"status": "open"})

    def end(entry: dict) -> None:
        if entry["status"] == "ended":
            raise Conflict("already ended")
        entry["status"] = "ended"

    assert registry.update("room", "s1", end) == {"status": "ended"}
    with pytest.raises(Conflict):
        registry.update("room", "s1", end)
    assert registry.get("room", "s1") == {"status": "ended"}
    with pytest.raises(NotFound):
        registry.update("room", "nope", end)


def test_concurrent_updates_from_two_processes_worth_of_handles_lose_nothing(store: str) -> None:
    path = store
    Registry(path, namespace="n").put("counter", "c", {"n": 0})
    handles = [Registry(path, namespace="n") for _ in range(4)]

    def bump(registry: Registry) -> None:
        for _ in range(50):
            registry.update("counter", "c", lambda entry: {"n": entry["n"] + 1})

    threads = [threading.Thread(target=bump, args=(handle,)) for handle in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert handles[0].require("counter", "c") == {"n": 200}


def test_delete_forgets(registry: Registry) -> None:
    registry.put("room", "s1", {})
    registry.delete("room", "s1")
    registry.delete("room", "s1")
    assert registry.get("room", "s1") is None


def test_sweep_forgets_the_entries_below_a_mark_and_no_other(registry: Registry) -> None:
    for key, at in [("old", 1.0), ("edge", 5.0), ("new", 9.0)]:
        registry.put("token", key, {"at": at})
    registry.put("token", "undated", {})  # counts as 0
    registry.put("other", "old", {"at": 1.0})
    assert registry.sweep("token", "at", 5.0) == 2
    assert [key for key, _ in registry.find("token")] == ["edge", "new"]
    assert registry.get("other", "old") == {"at": 1.0}  # another kind is left alone
    with pytest.raises(ValueError, match="not a field name"):
        registry.sweep("token", "at') OR 1=1 --", 5.0)


def test_the_setting_wins_over_the_environment(tmp_path: Path) -> None:
    chosen = Registry.from_settings(tmp_path / "a.db", {"ANYVIDEO_REGISTRY": str(tmp_path / "b.db")}, namespace="n")
    assert chosen.path == tmp_path / "a.db"
    from_env = Registry.from_settings(None, {"ANYVIDEO_REGISTRY": str(tmp_path / "b.db")}, namespace="n")
    assert from_env.path == tmp_path / "b.db"
    assert Registry.from_settings(None, {}, namespace="n").path is None


def test_a_field_name_that_is_not_one_is_refused(registry: Registry) -> None:
    with pytest.raises(ValueError, match="not a field name"):
        list(registry.find("room", **{"a') OR 1=1 --": 1}))


def test_add_files_an_entry_only_where_there_is_none(store: str) -> None:
    first, second = (Registry(store, namespace="ns") for _ in range(2))
    assert first.add("seen", "k", {"n": 1}) is True
    assert second.add("seen", "k", {"n": 2}) is False  # another process got there first
    assert first.get("seen", "k") == second.get("seen", "k") == {"n": 1}
    first.close()
    second.close()


def test_of_many_threads_adding_one_key_exactly_one_wins(store: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    registry = Registry(store, namespace="ns")
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda n: registry.add("seen", "k", {"n": n}), range(64)))
    assert won.count(True) == 1
    registry.close()


def test_ended_rooms_are_known_across_processes_and_keep_their_first_end(store: str) -> None:
    from datetime import UTC, datetime

    from anyvideo.registry import EndedRooms

    first, second = (Registry(store, namespace="ns") for _ in range(2))
    ending, asking = EndedRooms(first), EndedRooms(second)
    first.put("room", "made", {"name": "standup", "status": "open"})
    assert not asking.has_ended("made") and not asking.has_ended("unknown")
    at, later = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    ending.end("made", at)
    assert first.get("room", "made") == {"name": "standup", "status": "ended", "ended_at": at.isoformat()}
    ending.end("made", later)
    assert second.get("room", "made")["ended_at"] == at.isoformat()  # ended once
    ending.end("elsewhere", at, filed={"name": None})
    assert first.get("room", "elsewhere") == {"name": None, "status": "ended", "ended_at": at.isoformat()}
    assert asking.has_ended("made") and asking.has_ended("elsewhere")
    first.close()
    second.close()


def test_ended_rooms_read_a_registry_file_again_only_once_it_changed(tmp_path: Path) -> None:
    from anyvideo.registry import EndedRooms

    path = tmp_path / "registry.db"
    registry, elsewhere = Registry(path, namespace="ns"), Registry(path, namespace="ns")  # two processes' worth
    asking = EndedRooms(registry)
    statements: list[str] = []
    connection = registry._db

    class Counting:
        def execute(self, statement: str, *parameters: object) -> sqlite3.Cursor:
            statements.append(statement)
            return connection.execute(statement, *parameters)

        def __getattr__(self, name: str) -> object:
            return getattr(connection, name)

    registry._db = Counting()
    assert not asking.has_ended("r1") and not asking.has_ended("r1") and not asking.has_ended("r1")
    assert sum(statement.startswith("SELECT") for statement in statements) == 1  # the file did not change
    registry.put("room", "r1", {"status": "ended"})  # this process, not through ``asking``
    assert asking.has_ended("r1")
    EndedRooms(elsewhere).end("r2", None)  # another process
    assert asking.has_ended("r2")
    registry.close()
    elsewhere.close()


def test_has_compares_an_entrys_fields_without_reading_it_back(registry: Registry) -> None:
    registry.put("room", "s1", {"status": "ended", "n": 1, "done": True})
    assert registry.has("room", "s1") and registry.has("room", "s1", status="ended", n=1, done=True)
    assert not registry.has("room", "s1", status="open") and not registry.has("room", "s2")
    assert not registry.has("recording", "s1")
    with pytest.raises(ValueError):
        registry.has("room", "s1", **{"a') OR 1=1 --": 1})


def test_set_fields_files_or_changes_an_entry_in_one_statement(registry: Registry) -> None:
    assert registry.set_fields("room", "s1", {"status": "open", "n": 1}, filed={"name": "a"}) == {
        "name": "a",
        "status": "open",
        "n": 1,
    }
    assert registry.get("room", "s1") == {"name": "a", "status": "open", "n": 1}
    changed = registry.set_fields("room", "s1", {"status": "ended", "at": None}, unless=("status", "ended"))
    assert registry.get("room", "s1") == changed == {"name": "a", "status": "ended", "n": 1, "at": None}
    assert registry.set_fields("room", "s1", {"status": "open"}, unless=("status", "ended")) is None  # as it was
    assert registry.get("room", "s1")["status"] == "ended"
    with pytest.raises(ValueError):
        registry.set_fields("room", "s1", {"a') OR 1=1 --": 1})


def test_ended_rooms_of_a_registry_in_memory_are_known_to_every_reader_of_it() -> None:
    from datetime import UTC, datetime

    from anyvideo.registry import EndedRooms

    registry = Registry(namespace="ns")
    ending, asking = EndedRooms(registry), EndedRooms(registry)
    assert not asking.has_ended("r1")
    ending.end("r1", datetime(2026, 1, 1, tzinfo=UTC))
    assert asking.has_ended("r1") and registry.get("room", "r1")["status"] == "ended"
    assert not EndedRooms(Registry(namespace="ns")).has_ended("r1")  # another registry in memory: another store
    filed = Registry(namespace="ns")
    filed.put("room", "r2", {"status": "ended"})  # ended before any EndedRooms read this registry
    assert EndedRooms(filed).has_ended("r2")


def test_add_or_get_files_an_entry_or_gives_the_one_there(registry: Registry) -> None:
    assert registry.add_or_get("transition", "w1:outcome", {"by": "a"}) is None
    assert registry.add_or_get("transition", "w1:outcome", {"by": "b"}) == {"by": "a"}
    assert registry.get("transition", "w1:outcome") == {"by": "a"}


def test_add_or_get_of_a_filed_entry_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite"
    registry = Registry(path, namespace="twilio:AC1")
    registry.add("transition", "w1:outcome", {"by": "a"})
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock: a write would wait on it
    try:
        before = registry._db.total_changes  # noqa: SLF001 - what the connection wrote
        assert registry.add_or_get("transition", "w1:outcome", {"by": "b"}) == {"by": "a"}
        assert registry._db.total_changes == before  # noqa: SLF001
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_of_many_threads_add_or_get_of_one_key_exactly_one_files_and_all_see_it(store: str) -> None:
    path = store
    got: list[dict[str, str] | None] = []

    def claim(n: int) -> None:
        got.append(Registry(path, namespace="ns").add_or_get("transition", "k", {"by": str(n)}))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got.count(None) == 1
    winner = Registry(path, namespace="ns").get("transition", "k")
    assert all(entry == winner for entry in got if entry is not None)


def test_get_linked_reads_the_entry_another_names(registry: Registry) -> None:
    registry.put("track", "RT1", {"window": "win_1", "room_sid": "RM1"})
    registry.put("track", "RT2", {"window": "win_gone"})
    registry.put("track", "RT3", {"room_sid": "RM1"})
    registry.put("window", "win_1", {"tracks": ["RT1"]})
    assert registry.get_linked("track", "RT1", "window", "window") == ("win_1", {"tracks": ["RT1"]})
    assert registry.get_linked("track", "RT2", "window", "window") is None  # it names none filed
    assert registry.get_linked("track", "RT3", "window", "window") is None  # it names none
    assert registry.get_linked("track", "RT4", "window", "window") is None  # no such entry
    assert registry.get_linked("track", "RT1", "room_sid", "window") is None
    with pytest.raises(ValueError, match="not a field name"):
        registry.get_linked("track", "RT1", "window')--", "window")


def test_a_registry_file_commits_to_its_wal_without_an_fsync_each_time(tmp_path: Path) -> None:
    # synchronous=NORMAL: a commit is in the file for every process (and survives this one crashing);
    # only the checkpoints are flushed to the disk, not every commit (FULL, SQLite's default, costs an fsync each).
    registry = Registry(tmp_path / "registry.db", namespace="n")
    registry.put("room", "r1", {"status": "open"})
    assert registry._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert registry._db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    with sqlite3.connect(tmp_path / "registry.db") as other:  # another process's view: committed
        assert other.execute("SELECT key FROM entries").fetchall() == [("r1",)]
    registry.close()


def test_a_transaction_files_all_or_nothing_and_an_inner_one_is_undone_alone(store: str) -> None:
    registry = Registry(store, namespace="n")
    with registry.transaction():
        registry.put("room", "r1", {"status": "open"})
        with pytest.raises(Conflict), registry.transaction():
            registry.put("room", "r2", {"status": "open"})
            raise Conflict("the inner block fails")
        registry.add("token", "t1", {"iat": 1})
    assert [key for key, _ in registry.find("room")] == ["r1"] and registry.get("token", "t1") == {"iat": 1}
    with pytest.raises(NotFound), registry.transaction():
        registry.put("room", "r3", {"status": "open"})
        registry.update("room", "nope", lambda entry: None)  # raises: r3 is not filed either
    assert registry.get("room", "r3") is None


def test_a_transaction_commits_once_however_many_entries_it_files(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry.db", namespace="n")
    statements: list[str] = []
    registry._db.set_trace_callback(statements.append)
    with registry.transaction():
        registry.add("token", "t1", {"iat": 1})
        registry.add("connection", "c1", {"room_id": "r1"})
        registry.update("connection", "c1", lambda entry: {**entry, "identity": "ann"})
    assert [s for s in statements if s.split()[0] in ("BEGIN", "COMMIT")] == ["BEGIN IMMEDIATE", "COMMIT"]
    assert registry.get("connection", "c1") == {"room_id": "r1", "identity": "ann"}


def test_another_thread_waits_for_a_transaction_to_end(store: str) -> None:
    registry = Registry(store, namespace="n")
    began, seen = threading.Event(), []
    with registry.transaction():
        registry.put("room", "r1", {"status": "open"})
        reader = threading.Thread(target=lambda: (began.set(), seen.append(registry.get("room", "r1"))))
        reader.start()
        began.wait()
        registry.put("room", "r1", {"status": "ended"})
    reader.join()
    assert seen == [{"status": "ended"}]  # it read after the commit, never the entry half way


def test_get_many_reads_the_entries_of_many_keys_in_one_statement() -> None:
    registry = Registry(namespace="vonage:app-1")
    for i in range(1200):
        registry.put("stream", f"s{i}", {"n": i})
    registry.put("room", "s1", {"other": "kind"})
    statements: list[str] = []
    registry._db.set_trace_callback(statements.append)
    assert registry.get_many("stream", ["s1", "nope", "s3", "s1"]) == {"s1": {"n": 1}, "s3": {"n": 3}}
    assert len(statements) == 1
    keys = [f"s{i}" for i in range(1200)]
    assert registry.get_many("stream", keys) == {f"s{i}": {"n": i} for i in range(1200)}  # in chunks of keys
    assert registry.get_many("stream", []) == {}


def test_get_many_reads_in_chunks_of_keys(registry: Registry) -> None:
    for i in range(1200):
        registry.put("stream", f"s{i}", {"n": i})
    assert registry.get_many("stream", [f"s{i}" for i in range(1200)]) == {f"s{i}": {"n": i} for i in range(1200)}


def test_transactions_of_two_handles_run_one_after_the_other(store: str) -> None:
    """A read, then a write, in a transaction: no other handle's transaction comes in between
    (SQLite's write lock; PostgreSQL's advisory lock of the namespace), so no count is lost."""
    Registry(store, namespace="n").put("counter", "c", {"n": 0})
    handles = [Registry(store, namespace="n") for _ in range(3)]

    def bump(registry: Registry) -> None:
        for _ in range(30):
            with registry.transaction():
                registry.put("counter", "c", {"n": registry.require("counter", "c")["n"] + 1})

    threads = [threading.Thread(target=bump, args=(handle,)) for handle in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert handles[0].require("counter", "c") == {"n": 90}


@pytest.mark.parametrize(
    ("location", "path"),
    [("sqlite:///some/registry.db", Path("some/registry.db")), ("sqlite:////abs/r.db", Path("/abs/r.db"))],
)
def test_a_sqlite_url_names_its_file(location: str, path: Path) -> None:
    from anyvideo.registry import _sqlite_path

    assert Path(str(_sqlite_path(location))) == path
    assert _sqlite_path("sqlite://") is None and _sqlite_path("sqlite:///:memory:") == ":memory:"


def test_a_registry_in_postgresql_is_named_by_its_url_without_the_password(request: pytest.FixtureRequest) -> None:
    url: str = request.getfixturevalue("postgres_database")
    for given in (url, url.replace("postgresql://", "postgresql+psycopg://", 1)):
        registry = Registry.from_settings(None, {"ANYVIDEO_REGISTRY": given}, namespace="n")
        assert registry.path is None and not registry.in_memory and registry.url == url
        registry.close()
    secret = url.replace("postgres@", "postgres:hunter2@", 1)
    registry = Registry(secret, namespace="n")  # a trusted loopback server ignores the password
    assert "hunter2" not in repr(registry) and registry.url is not None and ":***@" in registry.url
    registry.close()


def test_an_unreachable_postgresql_registry_is_a_configuration_error() -> None:
    from support.serving import closed_port

    pytest.importorskip("psycopg")
    with pytest.raises(ConfigurationError, match="cannot open the registry 'postgresql://u:\\*\\*\\*@"):
        Registry(f"postgresql://u:pw@127.0.0.1:{closed_port()}/db?connect_timeout=5", namespace="n")


def test_a_postgresql_registry_whose_connection_was_lost_connects_again(request: pytest.FixtureRequest) -> None:
    """The server ended the connection (a restart, say): the statement that finds it lost fails,
    and the next one runs on a new connection."""
    import psycopg

    url: str = request.getfixturevalue("postgres_database")
    registry = Registry(url, namespace="n")
    registry.put("room", "r1", {"status": "open"})
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (registry._db.info.backend_pid,))
    with pytest.raises(psycopg.OperationalError):
        registry.get("room", "r1")
    assert registry.get("room", "r1") == {"status": "open"}
    admin_ended = registry._db.info.backend_pid
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (admin_ended,))
    with pytest.raises(psycopg.OperationalError), registry.transaction():
        registry.put("room", "r2", {})
    with registry.transaction():  # the next transaction begins on a new connection
        registry.put("room", "r2", {"status": "open"})
    assert registry.get("room", "r2") == {"status": "open"}
    registry.close()


def test_a_key_is_claimed_once_until_unclaimed_or_swept(registry: Registry) -> None:
    assert registry.claim("token", "t1", 100.0) and registry.claim("token", "t2", 200.0)
    assert not registry.claim("token", "t1", 300.0)  # a replay: the first claim and its time stand
    assert registry.claim("other", "t1", 100.0)  # kinds are apart
    assert registry.claims("token") == {"t1": 100.0, "t2": 200.0}
    registry.unclaim("token", "t1")
    assert registry.claim("token", "t1", 300.0)
    assert registry.sweep_claims("token", 250.0) == 1 and registry.claims("token") == {"t1": 300.0}
    assert registry.claims("other") == {"t1": 100.0} and list(registry.find("token")) == []  # no entries


def test_of_many_threads_claiming_one_key_exactly_one_wins(store: str) -> None:
    handles = [Registry(store, namespace="ns") for _ in range(8)]
    won: list[bool] = []
    threads = [threading.Thread(target=lambda h=h: won.append(h.claim("token", "k", 1.0))) for h in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 7 + [True]


def test_a_claim_writes_one_page_of_a_registry_file(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "r.db", namespace="ns")
    registry.put("room", "r", {"room_id": "x"})
    list(registry.find("room", room_id="x"))  # an index on an entry field, as listings make
    pages = registry._db.execute("PRAGMA page_size").fetchone()[0]
    wal = tmp_path / "r.db-wal"

    def pages_written(write: Callable[[int], object]) -> float:
        before = wal.stat().st_size
        for n in range(50):
            write(n)
        return (wal.stat().st_size - before) / 50 / (pages + 24)  # a WAL frame: a page and its header

    assert pages_written(lambda n: registry.claim("token", f"key-{n}", n)) == 1
    assert pages_written(lambda n: registry.add("token", f"entry-{n}", {"iat": n})) >= 3


def test_claims_an_earlier_version_filed_as_entries_become_claims(tmp_path: Path) -> None:
    registry = Registry(tmp_path / "r.db", namespace="ns")
    registry.add("token", "old", {"iat": 50.0})
    registry.add("token", "undated", {})
    assert registry.claims_from_entries("token", "iat") == 2
    assert registry.claims("token") == {"old": 50.0, "undated": 0.0} and list(registry.find("token")) == []
    assert not registry.claim("token", "old", 60.0)  # claimed before the upgrade: still a replay
    statements: list[str] = []
    registry._db.set_trace_callback(statements.append)
    assert registry.claims_from_entries("token", "iat") == 0
    assert [s.split()[0] for s in statements] == ["SELECT"]  # nothing left to move: nothing written
