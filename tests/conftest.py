"""Shared fixtures: the replica server, a crawl runner, the golden pages."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from replica.server import Replica


@pytest.fixture
def replica():
    with Replica(port=0) as rep:
        yield rep


def run_crawl(base_url: str, db: Path, *, mode: str = "archive", args: dict | None = None,
              settings: dict | None = None) -> subprocess.CompletedProcess:
    """`scrapy crawl almodon` in a subprocess (a fresh reactor each time), politeness relaxed
    for loopback exactly as `make demo` does."""
    from demo import crawl

    return crawl(base_url, db, mode=mode, extra={"LOG_LEVEL": "INFO", **(settings or {})}, args=args)


@pytest.fixture
def crawl():
    return run_crawl


def query(db: Path, sql: str, *params):
    conn = sqlite3.connect(db)
    try:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def json_when_up(url: str, proc: subprocess.Popen, *, wait_s: float, request_s: float):
    """The JSON at ``url`` once the server ``proc`` started answers (polled; the first error
    after ``wait_s`` seconds, or once ``proc`` has exited, is raised)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=request_s) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.2)
