"""Docs that cannot drift: every CLI command and spider argument is in the README, every
`make` target the README names exists, and the README's SQL runs on a crawled database."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from pipelines.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_is_in_the_readme(command):
    assert f"almodon {command}" in README


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_has_help_with_an_example(command):
    assert "Example" in (main.commands[command].help or "")


def test_make_targets_named_in_the_readme_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in set(re.findall(r"make (\w+)", README)):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target


def test_readme_sql_runs_on_a_crawled_database(tmp_path):
    from conftest import run_crawl
    from replica.server import Replica

    db = tmp_path / "docs.db"
    with Replica(port=0) as rep:
        assert run_crawl(rep.base_url, db).returncode == 0
    block = README.split("### Five queries an analyst would run", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    statements = [s.strip() for s in block.split(";") if s.strip() and not s.strip().startswith("--") or "SELECT" in s]
    conn = sqlite3.connect(db)
    try:
        ran = 0
        for statement in statements:
            rows = conn.execute(statement).fetchall()
            assert rows, statement
            ran += 1
        assert ran >= 5
    finally:
        conn.close()
