"""A real ``seatledger serve`` process on a free loopback port, for the HTTP API's tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from attrs import frozen

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


def seatledger(db_url: str, *args: str, today: str | None = None,
               actor: str = "ops") -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATLEDGER_")}
    env.update({"SEATLEDGER_DB": db_url, "SEATLEDGER_ACTOR": actor})
    if today:
        env["SEATLEDGER_TODAY"] = today
    return subprocess.run(
        [sys.executable, "-m", "seatledger.entrypoints.cli.main", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def make_key(db_url: str, name: str, org: str | None = None) -> str:
    done = seatledger(db_url, "--json", "apikey", "create", name,
                      *(["--org", org] if org else []))  # fmt: skip
    assert done.returncode == 0, done.stderr
    secret: str = json.loads(done.stdout)["secret"]
    return secret


@frozen
class Server:
    base: str
    process: subprocess.Popen[str]
    log: Path  # the server's output (a file: a pipe nobody reads would fill and stall it)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def client(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)


@contextmanager
def running(
    db_url: str,
    *,
    today: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    workers: int = 1,
) -> Iterator[Server]:
    """``seatledger serve`` on ``db_url`` until the block ends (then SIGTERM, and a wait)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATLEDGER_")}
    env.update({"SEATLEDGER_DB": db_url, **(extra_env or {})})
    if today:
        env["SEATLEDGER_TODAY"] = today
    log = Path(tempfile.mkstemp(prefix="seatledger-serve-", suffix=".log")[1])
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "seatledger.entrypoints.cli.main", "serve",
             "--host", LOOPBACK, "--port", str(port), "--workers", str(workers)],
            env=env, stdout=sink, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    base = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"seatledger serve did not start: {log.read_text()}")
            time.sleep(0.1)
        yield Server(base, process, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # the log stays for a test to read after the block; it is small and in the temp folder


def body(response: httpx.Response) -> Any:
    return response.json()
