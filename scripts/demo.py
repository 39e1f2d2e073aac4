"""`make demo`: serve the bundled replica on 127.0.0.1, crawl it with the real spider into a
database under data/, then print what landed. Runs the same `scrapy crawl almodon` a cron job
runs, with politeness relaxed for loopback only."""

from __future__ import annotations

import argparse
import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from replica.server import Replica

from pipelines.report import summary

#: Loopback needs no politeness delay; everything else is the production configuration.
LOCAL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "WARNING",
}


def crawl(base_url: str, db: Path, *, mode: str = "archive", extra: dict | None = None,
          args: dict | None = None, root: Path = ROOT) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "almodon", "-a", f"base_url={base_url}", "-a", f"mode={mode}"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    for key, value in {**LOCAL_SETTINGS, "ALMODON_DB": str(db), **(extra or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", default="data/demo.db")
    opts = parser.parse_args()
    db = (ROOT / opts.db).resolve()
    rep = _start_replica(opts.port)
    try:
        print(f"Serving the replica at {rep.base_url}; crawling it into {db} …", flush=True)
        result = crawl(rep.base_url, db)
    finally:
        rep.stop()
    sys.stderr.write(result.stderr[-4000:])
    if not db.is_file():
        return result.returncode or 1
    conn = sqlite3.connect(db.as_uri() + "?mode=ro", uri=True)
    try:
        print(summary(conn))
    finally:
        conn.close()
    print(f"\nExplore: sqlite3 {opts.db} 'SELECT * FROM article_list LIMIT 5'")
    print(f'         .venv/bin/almodon search "طهران" --db {opts.db}')
    print(f"         .venv/bin/almodon serve --db {opts.db}")
    return result.returncode


def _start_replica(port: int) -> Replica:
    """The replica, started on ``port``, or on a free port (said so) when that one is taken."""
    try:
        return Replica(port=port).start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or not port:
            raise
    print(f"port {port} is taken: serving the replica on a free port instead", flush=True)
    return Replica(port=0).start()


if __name__ == "__main__":
    sys.exit(main())
