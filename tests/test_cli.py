"""The `almodon` command, through click's CliRunner and as the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from golden import goldens

from pipelines.cli import main

ARTICLE = next(g for g in goldens("almodon") if g.is_article)
NOT_ARTICLE = next(g for g in goldens("almodon") if not g.is_article)


def test_extract_prints_the_record_as_json():
    result = CliRunner().invoke(main, ["extract", str(ARTICLE.html), "--url", ARTICLE.url,
                                       "--content-type", ARTICLE.content_type])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["url"] == ARTICLE.expected["url"]
    assert record["headline"] == ARTICLE.expected["headline"]
    for key in ("site", "section", "authors", "published_date", "published_at", "published_local",
                "modified_at", "modified_local", "paragraphs", "body", "images", "tags", "language", "sources"):
        assert key in record


def test_extract_rejects_a_non_article_with_one_line_and_exit_1():
    result = CliRunner().invoke(main, ["extract", str(NOT_ARTICLE.html), "--url", NOT_ARTICLE.url])
    assert result.exit_code == 1  # the exit table: 2 is "another job holds the database"
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert NOT_ARTICLE.fixture["reason"] in result.stderr


def test_extract_missing_file_is_a_clear_error():
    result = CliRunner().invoke(main, ["extract", "/no/such/page.html"])
    assert result.exit_code != 0 and "no such file" in result.stderr


def test_dates_prints_every_timestamp():
    result = CliRunner().invoke(main, ["dates", "الجمعة 2024/04/26 آخر تحديث: 21:43 (بيروت)"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found and found[0]["date"] == "2024-04-26"


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "almodon"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("extract", "dates"):
        assert command in out
