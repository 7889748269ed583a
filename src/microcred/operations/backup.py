"""Backups: one file holding a consistent snapshot of the database, which holds the keys
(sealed by the master secret) and the transparency log; and restoring one into an empty
data directory. See docs/design/operations.md.

The file is a gzipped tar: ``manifest.json`` (format, schema revision, where it came from,
rows per table, the log's size, a check value of the master secret) and either
``database.sqlite`` (SQLite, copied with the online backup API) or ``tables/NNN-name.jsonl``
(PostgreSQL, every table read in dependency order in one REPEATABLE READ transaction). Either
restores into SQLite or PostgreSQL. The master secret is never in the file: the keys in it
open only under the same ``MICROCRED_MASTER_SECRET``, which restore checks before writing.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine

from microcred import __version__
from microcred.errors import ConflictError, InputError, short
from microcred.store import snapshot
from microcred.store.db import head_revision, make_engine, migrate

FORMAT = "microcred-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
TABLES_DIR = "tables"


@dataclass(frozen=True)
class BackupReport:
    path: Path
    method: str
    rows: dict[str, int]
    log_size: int

    @property
    def credentials(self) -> int:
        return self.rows.get("credentials", 0)


def master_check(master_secret: str) -> str:
    """A value that tells whether two master secrets are the same, and nothing about them."""
    return hmac.new(master_secret.encode(), b"microcred backup check", hashlib.sha256).hexdigest()


def _sqlite_path(engine: Engine) -> Path | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    return Path(database) if database and database != ":memory:" else None


# ---- create ---------------------------------------------------------------------------------


def create_backup(
    engine: Engine, target: Path, *, master_secret: str, public_url: str, now: datetime
) -> BackupReport:
    """Write a backup of the database behind ``engine`` to ``target`` (which must not exist;
    written beside it first and renamed, so a failed backup leaves no file)."""
    if target.exists():
        raise ConflictError("the backup file exists; refusing to overwrite it", found=str(target))
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory(prefix="microcred-backup-") as work:
        folder = Path(work)
        source = _sqlite_path(engine)
        if source is not None:
            method = "sqlite-online-backup"
            copy = folder / SQLITE_MEMBER
            snapshot.sqlite_online_backup(source, copy)
            copy_engine = make_engine(f"sqlite:///{copy}")
            try:
                with copy_engine.connect() as connection:
                    rows, log_size, revision = _describe(connection)
            finally:
                copy_engine.dispose()
            members = [(SQLITE_MEMBER, copy)]
        else:
            method = f"{engine.dialect.name}-repeatable-read-tables"
            members, rows, log_size, revision = _dump_tables(engine, folder)
        manifest = {
            "format": FORMAT,
            "createdAt": now.isoformat(),
            "microcredVersion": __version__,
            "schemaRevision": revision,
            "method": method,
            "source": engine.dialect.name,
            "publicUrl": public_url,
            "masterSecretCheck": master_check(master_secret),
            "rows": rows,
            "logSize": log_size,
        }
        try:
            with tarfile.open(partial, "w:gz") as archive:
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
                for name, path in members:
                    archive.add(path, arcname=name, recursive=False)
            os.chmod(partial, 0o600)  # the sealed keys and every recipient's e-mail
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    return BackupReport(target, method, rows, log_size)


def _describe(connection: Any) -> tuple[dict[str, int], int, str | None]:
    rows = snapshot.counts(connection)
    return rows, rows.get("log_leaves", 0), snapshot.schema_revision(connection)


def _dump_tables(
    engine: Engine, folder: Path
) -> tuple[list[tuple[str, Path]], dict[str, int], int, str | None]:
    """Every table in one read-only REPEATABLE READ transaction: all of it as of one moment."""
    members: list[tuple[str, Path]] = []
    (folder / TABLES_DIR).mkdir()
    with engine.connect() as base:
        postgresql = base.dialect.name == "postgresql"
        # SQLite's own transactions are serializable already (and know no REPEATABLE READ).
        connection = (
            base.execution_options(isolation_level="REPEATABLE READ") if postgresql else base
        )
        with connection.begin():
            if postgresql:
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            rows, log_size, revision = _describe(connection)
            for position, table in enumerate(snapshot.tables()):
                name = f"{TABLES_DIR}/{position:03d}-{table.name}.jsonl"
                path = folder / name
                with path.open("w", encoding="utf-8") as out:
                    for values in snapshot.read_rows(connection, table):
                        out.write(json.dumps(values, ensure_ascii=False) + "\n")
                members.append((name, path))
    return members, rows, log_size, revision


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


# ---- restore --------------------------------------------------------------------------------


def read_manifest(archive: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise InputError("not a microcred backup", expected=MANIFEST, found=f"{source}: none")
    manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise InputError(
            "unknown backup format", expected=FORMAT, found=short(str(manifest.get("format")))
        )
    return manifest


def restore_backup(
    source: Path,
    *,
    data_dir: Path,
    database_url: str,
    master_secret: str,
    progress: Callable[[str, int], None] = lambda _table, _rows: None,
) -> dict[str, Any]:
    """Restore ``source`` into an empty data directory (and, for PostgreSQL, an empty
    database); returns the manifest. Refuses, before writing anything, a non-empty data
    directory or database, a backup of another schema revision, or another master secret."""
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise ConflictError(
            "restore needs an empty data directory",
            expected="a directory that does not exist or is empty",
            found=f"{data_dir} holds files",
        )
    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise InputError(
            "cannot read the backup", expected="a microcred backup file", found=f"{source}: {exc}"
        ) from exc
    with archive:
        manifest = read_manifest(archive, source)
        if manifest.get("schemaRevision") != head_revision():
            raise ConflictError(
                "the backup is of another schema revision; restore it with the release that "
                "made it, then upgrade",
                expected=head_revision(),
                found=str(manifest.get("schemaRevision")),
            )
        if not hmac.compare_digest(
            str(manifest.get("masterSecretCheck")), master_check(master_secret)
        ):
            raise ConflictError(
                "this backup was made under another master secret: its keys would not open",
                expected="the MICROCRED_MASTER_SECRET of the server that made it",
                found="another secret",
            )
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(database_url)
        try:
            target = _sqlite_path(engine)
            if target is not None and SQLITE_MEMBER in archive.getnames():
                _restore_sqlite_file(archive, target)
                migrate(engine)  # at head already: checks the copy opens
            else:
                _restore_rows(archive, engine, progress)
            with engine.connect() as connection:
                found = snapshot.counts(connection)
        finally:
            engine.dispose()
    expected = manifest.get("rows", {})
    differing = {k: (v, found.get(k)) for k, v in expected.items() if found.get(k) != v}
    if differing:
        raise ConflictError(
            "the restored database does not hold what the backup lists",
            expected="the manifest's row counts",
            found=", ".join(f"{k}: {v[1]} not {v[0]}" for k, v in sorted(differing.items())),
        )
    return manifest


def _restore_sqlite_file(archive: tarfile.TarFile, target: Path) -> None:
    if target.exists():
        raise ConflictError("the SQLite database file exists", found=str(target))
    member = archive.extractfile(SQLITE_MEMBER)
    assert member is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    with partial.open("wb") as out:
        shutil.copyfileobj(member, out)
    partial.replace(target)


def _restore_rows(
    archive: tarfile.TarFile, engine: Engine, progress: Callable[[str, int], None]
) -> None:
    migrate(engine)
    with engine.connect() as connection:
        counts = snapshot.counts(connection).items()
        filled = {name: n for name, n in counts if n and name not in snapshot.SEEDED}
    if filled:
        raise ConflictError(
            "restore needs an empty database",
            expected="no rows in any table",
            found=", ".join(f"{name}: {n}" for name, n in sorted(filled.items())[:5]),
        )
    with tempfile.TemporaryDirectory(prefix="microcred-restore-") as work:
        reader, close = _row_source(archive, Path(work))
        try:
            with engine.begin() as connection:  # all of it or none of it
                for table in snapshot.tables():
                    if table.name in snapshot.SEEDED:  # the migration's row, the backup's instead
                        connection.execute(table.delete())
                for table in snapshot.tables():
                    written = snapshot.write_rows(connection, table, reader(table.name))
                    progress(table.name, written)
                snapshot.reset_sequences(connection)
        finally:
            close()


def _row_source(
    archive: tarfile.TarFile, work: Path
) -> tuple[Callable[[str], Iterator[list[Any]]], Callable[[], None]]:
    """Rows of a table by name, from the JSON lines or from the SQLite copy in the backup."""
    names = archive.getnames()
    if SQLITE_MEMBER in names:
        member = archive.extractfile(SQLITE_MEMBER)
        assert member is not None
        copy = work / SQLITE_MEMBER
        with copy.open("wb") as out:
            shutil.copyfileobj(member, out)
        source = make_engine(f"sqlite:///{copy}")
        by_name = {t.name: t for t in snapshot.tables()}

        def from_sqlite(name: str) -> Iterator[list[Any]]:
            with source.connect() as connection:
                yield from snapshot.read_rows(connection, by_name[name])

        return from_sqlite, source.dispose
    files = {
        name.split("-", 1)[1].removesuffix(".jsonl"): name
        for name in names
        if name.startswith(f"{TABLES_DIR}/") and name.endswith(".jsonl")
    }

    def from_lines(name: str) -> Iterator[list[Any]]:
        member_name = files.get(name)
        if member_name is None:
            return
        member: IO[bytes] | None = archive.extractfile(member_name)
        assert member is not None
        for line in io.TextIOWrapper(member, encoding="utf-8"):
            if line.strip():
                yield json.loads(line)

    return from_lines, lambda: None
