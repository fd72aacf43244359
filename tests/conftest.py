"""Shared fixtures: fresh SQLite and PostgreSQL databases, migrated by `mailgate init`'s library function.

Fixtures (all parametrized over the backends chosen with --backend, default both):
  backend       module scope  "sqlite" or "postgresql"
  db_url        function      URL of a fresh, EMPTY database
  migrated_url  module        URL of a fresh database on which init_database() ran (shared by the module)
  engine        module        Engine (mailgate.database.create_engine_for) on migrated_url
  session       function      Session on `engine` inside a transaction that is rolled back afterwards
  pg_url_factory module       callable making more empty PostgreSQL databases
                              (skips, or fails under CI=true, without PostgreSQL)

SQLite files live under pytest's tmp_path; PostgreSQL databases (mg_test_<random>) are dropped in a
background thread once their fixture ends, and all are gone before the test session ends.

PostgreSQL is the local server (127.0.0.1:5432, user postgres, trust auth). If it is unreachable the
postgresql parameters are skipped, except under CI=true, where they fail loudly.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mailgate.database import create_engine_for
from mailgate.initdb import init_database
from tests.support.znuny import load_znuny, require_znuny_files

BACKENDS = ("sqlite", "postgresql")
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
PG_ADMIN_DB = "test"
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT / ".." / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql", "all"),
        default="all",
        help="database backend(s) for the db_url/migrated_url/engine/session fixtures",
    )


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def _pg_conninfo(dbname: str) -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname} connect_timeout=5"


def _postgres_error() -> str | None:
    try:
        with psycopg.connect(_pg_conninfo(PG_ADMIN_DB)) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    """Whether the local PostgreSQL answers; under CI=true an unreachable server is an error."""
    error = _postgres_error()
    if error and in_ci():
        pytest.fail(f"CI=true and {error}")
    return error is None


def require_postgres(available: bool) -> None:
    if not available:
        pytest.skip("PostgreSQL is not reachable (set CI=true to make this an error)")


def create_pg_database() -> str:
    """Create an empty database mg_test_<random>; returns its SQLAlchemy URL."""
    name = f"mg_test_{secrets.token_hex(6)}"
    with psycopg.connect(_pg_conninfo(PG_ADMIN_DB), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_pg_database(url: str) -> None:
    """Terminate the database's connections and drop it."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_pg_conninfo(PG_ADMIN_DB), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _selected_backends(config: pytest.Config) -> tuple[str, ...]:
    choice = config.getoption("--backend")
    return BACKENDS if choice == "all" else (choice,)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, postgres_available: bool) -> str:
    """The database backend of this test: "sqlite" or "postgresql"."""
    name: str = request.param
    if name not in _selected_backends(request.config):
        pytest.skip(f"backend {name} not selected (--backend)")
    if name == "postgresql":
        if not postgres_available and request.config.getoption("--backend") == "postgresql":
            pytest.fail("--backend=postgresql but PostgreSQL is not reachable")
        require_postgres(postgres_available)
    return name


class PgDatabases:
    """Creates mg_test_* databases and drops released ones in a background thread (DROP waits for a
    checkpoint, which is slow on a busy machine; the tests need not wait for it)."""

    def __init__(self) -> None:
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
        self._pending: list[Future[None]] = []

    def create(self) -> str:
        return create_pg_database()

    def release(self, url: str) -> None:
        self._pending.append(self._dropper.submit(drop_pg_database, url))

    def close(self) -> None:
        self._dropper.shutdown(wait=True)
        for future in self._pending:
            future.result()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    """Registry of the PostgreSQL test databases of this run; all are dropped before the run ends."""
    registry = PgDatabases()
    yield registry
    registry.close()


def _fresh_url(backend: str, folder: Path, databases: PgDatabases) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / f'mailgate-{secrets.token_hex(4)}.db'}"
    return databases.create()


def _release(backend: str, url: str, databases: PgDatabases) -> None:
    if backend == "postgresql":
        databases.release(url)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, pg_databases: PgDatabases) -> Iterator[str]:
    """URL of a fresh, empty database on the current backend."""
    url = _fresh_url(backend, tmp_path, pg_databases)
    yield url
    _release(backend, url, pg_databases)


@pytest.fixture(scope="module")
def migrated_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory, pg_databases: PgDatabases
) -> Iterator[str]:
    """URL of a fresh database initialised by mailgate init (shared by the tests of one module)."""
    url = _fresh_url(backend, tmp_path_factory.mktemp("db"), pg_databases)
    init_database(url)
    yield url
    _release(backend, url, pg_databases)


@pytest.fixture(scope="module")
def engine(migrated_url: str) -> Iterator[Engine]:
    """An engine on migrated_url."""
    eng = create_engine_for(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end (session.commit() only releases a savepoint)."""
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as sess:
            yield sess
        outer.rollback()


@pytest.fixture(scope="module")
def pg_url_factory(postgres_available: bool, pg_databases: PgDatabases) -> Iterator[Callable[[], str]]:
    """Callable returning URLs of fresh empty PostgreSQL databases, dropped after the module."""
    require_postgres(postgres_available)
    made: list[str] = []

    def make() -> str:
        made.append(pg_databases.create())
        return made[-1]

    yield make
    for url in made:
        pg_databases.release(url)


SCHEMAS = ("mailgate-schema", "znuny-schema")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Znuny's DDL exists for PostgreSQL only: drop the SQLite + Znuny-schema combinations of schema_url."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        pair = (params.get("backend"), params.get("schema_url"))
        (drop if pair == ("sqlite", "znuny-schema") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="module", params=SCHEMAS)
def schema_url(request: pytest.FixtureRequest, backend: str) -> str:
    """mailgate's own schema (migrated_url), or a PostgreSQL database built by Znuny's own DDL and
    initial data (its foreign keys included) to which `mailgate init` then attached."""
    if request.param == "mailgate-schema":
        url: str = request.getfixturevalue("migrated_url")
        return url
    if backend != "postgresql":
        pytest.skip("Znuny's own DDL is PostgreSQL's")
    require_znuny_files()
    make_database: Callable[[], str] = request.getfixturevalue("pg_url_factory")
    url = make_database()
    load_znuny(url)
    init_database(url)
    return url
