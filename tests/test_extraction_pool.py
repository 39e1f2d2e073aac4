"""The extraction workers driven synchronously (reparse, import-warc, a crawl's recovery):
every page comes back once, in order, whatever its size.

Pages of a few hundred KB used to be able to deadlock the pipe: the parent blocked writing the
next page to a worker that was itself blocked writing a result the parent did not read. The
run below happens in a subprocess with a generous limit, so a deadlock fails the test instead
of hanging the suite."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import sys
    from pipelines import archive, workers

    def pages():
        for i in range(int(sys.argv[1])):
            body = ("<html><body><h1>عنوان %d</h1>" % i + "<p>" + "نص طويل " * 40000 + "</p></body></html>")
            yield archive.Fetched(url=f"https://www.almodon.com/politics/2024/04/26/big-{i}",
                                  body=body.encode(), headers={"content-type": "text/html; charset=utf-8"},
                                  fetched_at="2026-11-01T10:00:00Z")

    if __name__ == "__main__":
        got = [(page.url, kind) for page, kind, _ in workers.prepared(pages(), 2)]
        want = [page.url for page in pages()]
        assert [u for u, _ in got] == want, got
        print(len(got), sorted({k for _, k in got}))
""")


def test_big_pages_come_back_in_order_through_two_workers(tmp_path):
    script = tmp_path / "big_pages.py"
    script.write_text(SCRIPT, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), "40"], cwd=ROOT, capture_output=True, text=True,
                            timeout=600, check=False, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "40 ['ok']"  # every page extracted, none lost or doubled
