"""What the README promises a new user, checked as printed: the `almodon` examples work right
after `make demo` (same paths, same database), the spider-argument list names every argument
and mode, every view has its canned query in Datasette and every column a description, and
`make demo` survives a taken port."""

from __future__ import annotations

import re
import shlex
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_crawl

from pipelines import datasette_metadata
from scrapers.spiders.almodon import ARGUMENTS, MODES

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _examples() -> list[str]:
    """Every `almodon …` command line in the README's shell blocks that runs offline, ends, and
    is about the demo (``serve`` runs until stopped: tested in test_serve/test_hostile;
    ``backfill`` talks to web archives: tested on local servers in test_backfill; lines naming
    another ``--db`` than the demo's are about a real archive or a cluster; ``…`` is a placeholder)."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("  #", 1)[0].strip()
            if (re.match(r"(\.venv/bin/)?almodon ", command) and "..." not in command
                    and ("--db" not in command or "--db data/demo.db" in command)
                    and not re.search(r" (serve|backfill)\b", command)):
                lines.append(command)
    return lines


EXAMPLES = _examples()


def test_the_readme_has_examples_to_check():
    assert any("search" in e for e in EXAMPLES) and any("export" in e for e in EXAMPLES)


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory) -> Path:
    """A checkout-like directory right after `make demo`: data/demo.db crawled from the replica,
    `.venv` and `tests` as in the repository."""
    from replica.server import Replica

    top = tmp_path_factory.mktemp("checkout")
    (top / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (top / "tests").symlink_to(ROOT / "tests")
    with Replica(port=0) as rep:
        assert run_crawl(rep.base_url, top / "data" / "demo.db").returncode == 0
    return top


@pytest.mark.parametrize("command", EXAMPLES)
def test_readme_example_works_as_printed_after_make_demo(after_demo, command):
    argv = command.partition(" > ")[0]  # (stdout is captured here rather than written)
    args = shlex.split(argv)
    if args[0] == "almodon":
        args[0] = str(Path(sys.executable).parent / "almodon")
    result = subprocess.run(args, cwd=after_demo, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (command, result.stderr[-2000:])
    assert result.stdout.strip() or "exported" in result.stderr, command
    if " search " in command:
        assert "almodon.com" in result.stdout, command  # it found something, in the demo database


def test_spider_arguments_paragraph_names_every_argument_and_mode():
    paragraph = README.split("Spider arguments:", 1)[1].split("\n\n", 1)[0]
    for name in ARGUMENTS:
        assert f"`{name}=" in paragraph, name
    modes = re.search(r"`mode=([a-z|]+)`", paragraph).group(1).split("|")
    assert modes == list(MODES)


def test_every_view_has_a_canned_query_and_every_column_a_description(tmp_path):
    from pipelines.store import Store

    db = tmp_path / "fresh.db"
    Store(db).close()
    meta = datasette_metadata.build(search=True)["databases"][datasette_metadata.DB_NAME]
    conn = sqlite3.connect(db)
    try:
        objects = conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                               "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'article_fts_%'").fetchall()
        columns = {name: [r[1] for r in conn.execute(f"PRAGMA table_info({name})")] for name, _ in objects}
    finally:
        conn.close()
    for name, _ in objects:
        described = meta["tables"].get(name, {})
        assert described.get("description"), name
        assert [c for c in columns[name] if not described.get("columns", {}).get(c)] == [], name
    read = {re.search(r"\bFROM (\w+)", q["sql"]).group(1) for q in meta["queries"].values()}
    views = {name for name, kind in objects if kind == "view"}
    assert views - read == {"article_search"}  # the `search` query reads the index it is built on
    assert "article_fts" in read


def test_make_demo_picks_a_free_port_when_its_own_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--port", str(port),
                                 "--db", str(tmp_path / "demo.db")],
                                cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"port {port} is taken: serving the replica on a free port instead" in result.stdout
    assert "Traceback" not in result.stderr
    assert re.search(r"^\d+ articles$", result.stdout, re.MULTILINE)
