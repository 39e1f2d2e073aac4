"""`make test-under-load`: the test suite several times in a row while every core is kept busy,
the way a shared CI machine is. No test may depend on timing (README, "Tests").

    python scripts/under_load.py [--runs 3] [--busy N] [--max-minutes 90] -- CMD ...

Starts N busy loops (default: one per CPU), runs CMD --runs times, stops at the first failure,
and always stops the loops (they also stop by themselves after --max-minutes)."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time


def _spin(deadline: float) -> None:
    while time.monotonic() < deadline:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--max-minutes", type=float, default=90)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    cmd = opts.cmd[1:] if opts.cmd[:1] == ["--"] else opts.cmd
    if not cmd:
        parser.error("give the command to run after --")
    deadline = time.monotonic() + opts.max_minutes * 60
    loops = [multiprocessing.Process(target=_spin, args=(deadline,), daemon=True) for _ in range(opts.busy)]
    for p in loops:
        p.start()
    try:
        for run in range(1, opts.runs + 1):
            started = time.monotonic()
            print(f"under load ({opts.busy} busy loops): run {run}/{opts.runs}: {' '.join(cmd)}", flush=True)
            code = subprocess.call(cmd)
            print(f"run {run}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
            if code:
                return code
        return 0
    finally:
        for p in loops:
            p.terminate()
        for p in loops:
            p.join()


if __name__ == "__main__":
    sys.exit(main())
