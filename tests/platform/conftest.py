"""Fixtures for the platform: a runtime on SQLite and on PostgreSQL, an API client, issuers.

Tests that take ``runtime`` (or ``client``) run once per database. PostgreSQL tests use a
database of their own, created for this test session and dropped after it; they skip only
when no server answers at MICROCRED_TEST_POSTGRES (default 127.0.0.1:5432, trust auth).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from microcred.accounts.actor import SYSTEM
from microcred.crypto.proofs import utc_now
from microcred.issuers.service import IssuerInput
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.db import make_engine, migrate
from microcred.store.tables import Base
from microcred.web.app import create_app

POSTGRES_SERVER = os.environ.get(
    "MICROCRED_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432"
)


def _postgres_available() -> bool:
    try:
        engine = create_engine(f"{POSTGRES_SERVER}/postgres", connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    if not _postgres_available():
        pytest.skip(f"no PostgreSQL server at {POSTGRES_SERVER}")
    name = f"microcred_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES_SERVER}/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database a platform test runs on: a SQLite file, or the session's PostgreSQL
    database emptied for this test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'microcred.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        public_url="https://badges.example.org",
        queue_immediate=True,
        status_list_length=131_072,
    )


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The runtime's clock; a test module overrides this fixture with a FakeClock."""
    return utc_now


@pytest.fixture
def runtime(settings: Settings, clock: Callable[[], datetime]) -> Iterator[Runtime]:
    rt = Runtime(settings, clock=clock)
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class IssuerFixture:
    id: str
    slug: str
    did: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_issuer(runtime: Runtime, slug: str, role: str = "owner") -> IssuerFixture:
    row = runtime.issuers.create(
        SYSTEM,
        IssuerInput(
            slug=slug,
            name=f"{slug.title()} Academy",
            url=f"https://{slug}.example",
            email=f"badges@{slug}.example",
            country="DE",
        ),
    )
    _key, token = runtime.issuers.create_api_key(SYSTEM, row.id, "tests", role)  # type: ignore[arg-type]
    return IssuerFixture(row.id, row.slug, runtime.urls.issuer_did(row.slug), token)


@pytest.fixture
def issuer(runtime: Runtime) -> IssuerFixture:
    return make_issuer(runtime, "alpha")


@pytest.fixture
def other_issuer(runtime: Runtime) -> IssuerFixture:
    return make_issuer(runtime, "beta")


SIMPLE_ACHIEVEMENT = {
    "name": "Data Analysis with Python",
    "description": "Cleans, explores and visualises tabular data with pandas.",
    "criteria": {"narrative": "Six graded notebooks and a capstone analysis."},
    "achievementType": "Badge",
    "tag": ["python", "pandas"],
    "alignment": [
        {
            "type": ["Alignment"],
            "targetName": "Python (computer programming)",
            "targetUrl": "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
            "targetFramework": "ESCO",
        }
    ],
}


@pytest.fixture
def achievement_id(runtime: Runtime, issuer: IssuerFixture) -> str:
    return runtime.achievements.create(SYSTEM, issuer.id, SIMPLE_ACHIEVEMENT, validity_months=24).id
