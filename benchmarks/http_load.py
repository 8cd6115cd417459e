"""The HTTP API under load: mixed reads and writes from concurrent clients on loopback.

    python benchmarks/http_load.py [--seconds 60] [--clients 8] [--workers 1] [--seats 2000]

Makes a fresh SQLite ledger in a temporary folder (organisations, a contract, ``--seats``
seats, one billing run), starts ``seatledger serve`` on a free loopback port, and runs
``--clients`` threads for ``--seconds``: each request is a read (seats billable on a date,
a seat's history, an organisation) four times in five, else a write (a new seat activated
with an Idempotency-Key, or usage recorded). Prints throughput and p50/p99 latency per kind,
the errors (any answer that is not the expected 2xx), and then runs
``seatledger invoice verify --all`` on the ledger. Bounded in time and count; loopback only.
Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from http_server import make_key, running, seatledger

TODAY = "2025-10-15"
ORGS = 20


def prepare(url: str, seats: int) -> None:
    rows = ["seat,org,activated_on,deactivated_on,kind,holder"]
    for n in range(seats):
        rows.append(f"s-{n},org-{n % ORGS},2025-01-01,,regular,Holder {n}")
    folder = Path(url.removeprefix("sqlite:///")).parent
    (folder / "seats.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for org in range(ORGS):
        for args in (["org", "add", f"org-{org}", "--name", f"Org {org}"],
                     ["contract", "set", f"org-{org}", "--plan", "standard",
                      "--cadence", "monthly"]):  # fmt: skip
            done = seatledger(url, *args, today="2025-01-01")
            assert done.returncode == 0, done.stderr
    done = seatledger(url, "seat", "import", str(folder / "seats.csv"), today="2025-01-01")
    assert done.returncode == 0, done.stderr
    done = seatledger(url, "bill", "run", "--period", "2025-09", today=TODAY)
    assert done.returncode == 0, done.stderr


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seats", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/ledger.db"
        assert seatledger(url, "init").returncode == 0
        prepare(url, args.seats)
        key = make_key(url, "bench")
        extra = {"SEATLEDGER_LOG_LEVEL": "warning"}
        latencies: dict[str, list[float]] = {"read": [], "write": []}
        errors: list[str] = []
        lock = threading.Lock()
        with running(url, today=TODAY, extra_env=extra, workers=args.workers) as live:
            stop = time.monotonic() + args.seconds

            def client(number: int) -> None:
                rng = random.Random(number)
                made = 0
                with live.client(key) as http:
                    while time.monotonic() < stop:
                        org = f"org-{rng.randrange(ORGS)}"
                        if rng.random() < 0.8:
                            kind, expected = "read", 200
                            choice = rng.randrange(3)
                            started = time.perf_counter()
                            if choice == 0:
                                answer = http.get(
                                    f"/v1/organisations/{org}/seats",
                                    params={"on": "2025-09-30", "limit": 50},
                                )
                            elif choice == 1:
                                answer = http.get(
                                    f"/v1/seats/s-{rng.randrange(args.seats)}/history"
                                )
                            else:
                                answer = http.get(f"/v1/organisations/{org}")
                        else:
                            kind, expected = "write", 201
                            made += 1
                            started = time.perf_counter()
                            if made % 2:
                                answer = http.post(
                                    f"/v1/seats/c{number}-{made}/activate",
                                    json={"org": org},
                                    headers={"Idempotency-Key": f"load-{number}-{made}"},
                                )
                            else:
                                answer = http.post(
                                    f"/v1/organisations/{org}/usage", json={"kind": "new-dossier"}
                                )
                        elapsed = time.perf_counter() - started
                        with lock:
                            latencies[kind].append(elapsed)
                            if answer.status_code != expected:
                                errors.append(f"{answer.status_code} {answer.text[:200]}")

            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            began = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.monotonic() - began
        verify = seatledger(url, "--json", "invoice", "verify", "--all", today=TODAY)
        verified = json.loads(verify.stdout) if verify.returncode == 0 else verify.stderr
    report = {
        "seconds": round(took, 1),
        "clients": args.clients,
        "workers": args.workers,
        "seats": args.seats,
        "errors": len(errors),
        "first_errors": errors[:3],
        "invoice_verify_all": {
            "exit": verify.returncode,
            "invoices": len(verified.get("invoices", [])) if isinstance(verified, dict) else None,
            "all_ok": all(i.get("ok") for i in verified.get("invoices", []))
            if isinstance(verified, dict) else False,
        },
    }  # fmt: skip
    for kind, values in latencies.items():
        report[kind] = {
            "count": len(values),
            "per_second": round(len(values) / took, 1),
            "p50_ms": round(statistics.median(values) * 1000, 2) if values else None,
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
