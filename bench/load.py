"""``arazzo load`` on Locust: per-step stats, master and two workers, and the request rate
against a plain Locust ``FastHttpUser`` sending the same requests.

    python -m bench.load [--users 20] [--seconds 10]

The workflow is ``bench/steps.py``'s, with 3 steps (``GET /items/{id}``, a criterion and an
output each), against its keep-alive asyncio server in its own process on 127.0.0.1. Three
headless runs of ``--seconds`` each, ``--users`` users started at once:

1. ``arazzo load`` in one process;
2. ``arazzo load --master --expect-workers 2`` with two ``--worker`` processes: the master's
   total must equal the sum of what each worker says it reported;
3. ``locust -f`` a locustfile whose ``FastHttpUser`` sends the same three GETs per iteration
   (checking the status and parsing the JSON, as the workflow's criteria and outputs do).

Rates are Locust's own (``Requests/s`` of the ``Aggregated`` row of ``--csv``).
"""

from __future__ import annotations

import argparse
import csv
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.steps import serving, write_documents

ARAZZO = str(Path(sys.executable).parent / "arazzo")
FAST = """\
from locust import FastHttpUser, constant, task


class Same(FastHttpUser):
    host = {base!r}
    wait_time = constant(0)

    @task
    def steps(self):
        for i in range(3):
            with self.client.get(f"/items/{{i}}", name=f"steps/s{{i}}", catch_response=True) as r:
                if r.status_code != 200 or r.json()["id"] != i:
                    r.failure("unexpected answer")
"""


def _rows(prefix: Path) -> dict[str, dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as handle:
        return {f"{row['Type']} {row['Name']}".strip(): row for row in csv.DictReader(handle)}


def _port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def _table(rows: dict[str, dict[str, str]]) -> list[str]:
    lines = ["| entry | requests | failures | median ms | p95 ms | p99 ms | req/s |"]
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, row in rows.items():
        rate = float(row["Requests/s"])
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
            f"{row['Median Response Time']} | {row['95%']} | {row['99%']} | {rate:.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    users, run_time = str(args.users), f"{args.seconds}s"
    with tempfile.TemporaryDirectory() as tmp, serving() as base:
        where = Path(tmp)
        doc = str(write_documents(where, 3))
        common = [doc, "-S", f"api={base}", "-u", users, "-r", users, "-t", run_time]
        subprocess.run(
            [ARAZZO, "load", *common, "--csv", str(where / "one")],
            timeout=300,
            capture_output=True,
            check=False,
        )
        one = _rows(where / "one")
        port = _port()
        master = subprocess.Popen(
            [ARAZZO, "load", *common, "--master", "--expect-workers", "2"]
            + ["--master-bind-host", "127.0.0.1", "--master-bind-port", port]
            + ["--csv", str(where / "dist")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        workers = [
            subprocess.Popen(
                [ARAZZO, "load", doc, "-S", f"api={base}", "--worker", "--master-port", port],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        master.communicate(timeout=300)
        sent = []
        for worker in workers:
            out, err = worker.communicate(timeout=300)
            found = re.search(r"worker: (\d+) request", out + err)
            sent.append(int(found.group(1)) if found else -1)
        dist = _rows(where / "dist")
        (where / "fast.py").write_text(FAST.format(base=base))
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(where / "fast.py"), "--headless"]
            + ["-u", users, "-r", users, "-t", run_time, "--csv", str(where / "fast")]
            + ["--only-summary"],
            timeout=300,
            capture_output=True,
            check=False,
        )
        fast = _rows(where / "fast")
    report(args, one, dist, sent, fast)


def report(
    args: argparse.Namespace,
    one: dict[str, dict[str, str]],
    dist: dict[str, dict[str, str]],
    sent: list[int],
    fast: dict[str, dict[str, str]],
) -> None:
    print(f"{args.users} users for {args.seconds} s, a 3-step workflow; 2 cores, server included\n")
    print("1. `arazzo load`, one process:\n")
    print("\n".join(_table(one)))
    total = int(dist["Aggregated"]["Request Count"])
    print("\n2. `--master --expect-workers 2` and two `--worker` processes:\n")
    print("\n".join(_table(dist)))
    print(f"\n   workers reported {' + '.join(map(str, sent))} = {sum(sent)}; master total {total}")
    print("\n3. plain Locust `FastHttpUser`, the same three GETs:\n")
    print("\n".join(_table(fast)))
    ours = float(one["Aggregated"]["Requests/s"])
    spread = float(dist["Aggregated"]["Requests/s"])
    theirs = float(fast["Aggregated"]["Requests/s"])
    print(f"\n- master/worker stats add up: **{'yes' if total == sum(sent) else 'NO'}**")
    ratio = ours / theirs
    print(f"- request rate, one process / FastHttpUser: **{ratio:.2f}** (target at least 0.70)")
    print(f"- request rate, master + 2 workers / FastHttpUser (one process): {spread / theirs:.2f}")


if __name__ == "__main__":
    main()
