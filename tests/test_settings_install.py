"""Settings and packaging that do what the README says: ``ALMODON_CONTACT`` reaches the
User-Agent of every request, and the wheel carries ``schema.sql`` (a non-editable install,
run from another directory, creates a database)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, run_crawl

CONTACT = "mailto:archivist@example.org"


def _agents(replica) -> set[str | None]:
    assert replica.user_agents, "the crawl made no request"
    return {agent for _, agent in replica.user_agents}


def test_contact_setting_reaches_every_request(tmp_path, replica):
    result = run_crawl(replica.base_url, tmp_path / "ua.db", settings={"ALMODON_CONTACT": CONTACT})
    assert result.returncode == 0, result.stderr[-3000:]
    agents = _agents(replica)
    assert agents == {f"almodon-archive/0.1 (+{CONTACT}; news archive research crawler)"}
    assert "/robots.txt" in {path for path, _ in replica.user_agents}


def test_contact_environment_variable_reaches_every_request(tmp_path, replica, monkeypatch):
    monkeypatch.setenv("ALMODON_CONTACT", CONTACT)
    result = run_crawl(replica.base_url, tmp_path / "ua.db")
    assert result.returncode == 0, result.stderr[-3000:]
    (agent,) = _agents(replica)
    assert f"+{CONTACT};" in agent


def test_an_explicit_user_agent_wins(tmp_path, replica):
    result = run_crawl(replica.base_url, tmp_path / "ua.db",
                       settings={"ALMODON_CONTACT": CONTACT, "USER_AGENT": "my-bot/1.0"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert _agents(replica) == {"my-bot/1.0"}


# -- the wheel ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel --no-deps .`` of this checkout (no network: build isolation off, the
    build backend is the one already installed)."""
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, cwd=build,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    (whl,) = out.glob("almodon_archive-*.whl")
    return whl


def test_the_wheel_ships_schema_sql(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "pipelines/schema.sql" in names
    shipped = zipfile.ZipFile(wheel).read("pipelines/schema.sql")
    assert shipped == (ROOT / "schema.sql").read_bytes()


def test_an_installed_wheel_run_elsewhere_creates_a_database(wheel, tmp_path):
    """The wheel unpacked into a fresh venv (what ``pip install`` does with it) whose path also
    lists this environment's site-packages for the dependencies (no download; a plain path line
    in a .pth: the editable install of the checkout found there is not activated), run from a
    directory with no checkout in sight: the store finds its schema inside the package."""
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    zipfile.ZipFile(wheel).extractall(site)
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = ("import pipelines.store as s, sqlite3; "
            "st = s.Store('x.db'); st.close(); print(s.__file__); "
            "print(sqlite3.connect('x.db').execute(\"SELECT count(*) FROM sqlite_master WHERE name='articles'\").fetchone()[0])")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(py), "-c", code], check=False, cwd=work, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    module, tables = out.stdout.split()
    assert module.startswith(site), module  # the installed copy, not the checkout
    assert tables == "1"
    assert sqlite3.connect(work / "x.db").execute("PRAGMA user_version").fetchone()[0] > 0
