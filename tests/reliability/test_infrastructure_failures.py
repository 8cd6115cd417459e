"""Infrastructure failures end in a documented code, exit 1 and no traceback (decision 0030)."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest
from reliability_support import Cli, cli_argv, process_env, write_import
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from seatledger.adapters.store_errors import store_failure
from seatledger.domain.errors import DatabaseUnavailable


def seatledger(
    db: str, *args: str, file_limit: int | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        cli_argv(["--json", *args]),
        capture_output=True,
        text=True,
        env=process_env(db),
        timeout=120,
        check=False,
        preexec_fn=limit,
        cwd=cwd,
    )


def refused_cleanly(done: subprocess.CompletedProcess[str], code: str) -> None:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    assert f'"code": "{code}"' in done.stderr, done.stderr


def test_a_directory_as_the_database_is_not_a_database(tmp_path: Path) -> None:
    refused_cleanly(seatledger(str(tmp_path), "org", "list"), "not-a-database")


def test_a_missing_folder_is_database_not_found(tmp_path: Path) -> None:
    refused_cleanly(seatledger(str(tmp_path / "nope" / "l.db"), "init"), "database-not-found")
    assert not (tmp_path / "nope").exists()


def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    other.write_bytes(b"these are my notes, not a database\n" * 50)
    refused_cleanly(seatledger(str(other), "org", "list"), "not-a-database")
    assert other.read_bytes() == b"these are my notes, not a database\n" * 50


def test_a_read_only_database_refuses_a_write_and_keeps_its_data(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    Cli(db).ok("org", "add", "north", "--name", "North")
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    refused_cleanly(seatledger(read_only, "org", "add", "south", "--name", "S"), "read-only")
    listed = Cli(db).json("org", "list")
    assert "south" not in str(listed)
    assert "north" in str(listed)


def test_a_file_size_limit_reached_mid_write_is_disk_full_and_changes_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "l.db"
    Cli(db).ok("org", "add", "north", "--name", "North", today="2025-09-01")
    write_import(
        tmp_path / "seats.csv",
        [f"s-{n:05d},north,2025-09-01,,regular,Holder {n}" for n in range(3000)],
    )
    size = db.stat().st_size + sum(p.stat().st_size for p in tmp_path.glob("l.db-*"))
    done = seatledger(
        str(db), "--today", "2025-09-01", "seat", "import", str(tmp_path / "seats.csv"),
        file_limit=size + 64 * 1024,
    )  # fmt: skip
    refused_cleanly(done, "disk-full")
    assert Cli(db).json("seats", "north", "--on", "2025-09-01")["seats"] == []


def test_an_unreachable_server_is_database_unavailable() -> None:
    done = seatledger("postgresql+psycopg://postgres@127.0.0.1:1/test", "org", "list")
    refused_cleanly(done, "database-unavailable")


@pytest.mark.postgres
def test_a_missing_server_database_is_database_not_found(postgres_url: str) -> None:
    url = postgres_url.rsplit("/", 1)[0] + "/no_such_seatledger_db"
    refused_cleanly(seatledger(url, "org", "list"), "database-not-found")


@pytest.mark.postgres
def test_a_terminated_backend_is_database_unavailable(postgres_url: str) -> None:
    engine = create_engine(postgres_url.split("?")[0])
    try:
        with engine.connect() as victim, engine.connect() as killer:
            pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(OperationalError) as raised:
                victim.execute(text("SELECT 1"))
        failure = store_failure(raised.value)
        assert isinstance(failure, DatabaseUnavailable), failure
        assert failure.code == "database-unavailable"
    finally:
        engine.dispose()


def test_other_os_errors_are_not_hidden() -> None:
    # Only the failures of decision 0030 are translated: anything else stays a bug report.
    assert store_failure(OSError(os.strerror(5))) is None
