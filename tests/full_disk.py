"""A crawl on a full disk, for tests/test_hostile.py (enable with ``-s EXTENSIONS=…``, this and
the project's ``RunLedger``).

- ``FillTheDisk``: the crawl's writer process opens its store with ``PRAGMA max_page_count``
  pinned to the database's size right after the run row is written, so SQLite answers
  ``SQLITE_FULL`` to the first write that needs one page more (no timing involved);
- ``NoSpaceForWarc``: every WARC write in the Scrapy process fails with ``ENOSPC``."""

from __future__ import annotations

import errno

from pipelines import archive, workers


def open_then_fill(db: str) -> None:
    """The writer's initializer (in the writer process): the real one, the disk filled after ``start_run``."""
    from pipelines.store import Store

    start_run = Store.start_run

    def then_fill_the_disk(self, **kwargs):
        run_id = start_run(self, **kwargs)
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(f"PRAGMA max_page_count = {pages}")
        return run_id

    Store.start_run = then_fill_the_disk
    workers._open_store(db)


class FillTheDisk:
    """The extension: swaps the writer's initializer before the run's ``Writer`` starts."""

    @classmethod
    def from_crawler(cls, crawler):
        workers._open_store = open_then_fill  # pickled by name: the writer imports this module
        return cls()


class NoSpaceForWarc:
    """The extension: every WARC write in the Scrapy process fails with ``ENOSPC``."""

    @classmethod
    def from_crawler(cls, crawler):
        def no_space(self, page):
            raise OSError(errno.ENOSPC, "No space left on device", str(self.dir / "almodon-x.warc.gz"))

        archive.WarcWriter.write = no_space
        return cls()
