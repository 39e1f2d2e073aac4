"""Scrapy settings for the Al-Modon archive. Polite by default: this crawls a live news site."""

import os

BOT_NAME = "almodon"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"
COMMANDS_MODULE = "scrapers.commands"

# Who we are, honestly. Set ALMODON_CONTACT (a URL or an e-mail) for your deployment: in the
# environment or with -s ALMODON_CONTACT=…; scrapers.middlewares.ContactUserAgent puts it in the
# User-Agent of every request (robots.txt included). An explicit -s USER_AGENT=… wins.
ALMODON_CONTACT = os.environ.get("ALMODON_CONTACT") or "https://github.com/almodon-archive (set ALMODON_CONTACT)"
ALMODON_USER_AGENT = "almodon-archive/0.1 (+{contact}; news archive research crawler)"
USER_AGENT = ALMODON_USER_AGENT.format(contact=ALMODON_CONTACT)
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ar,en;q=0.5",
}

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy starts CONCURRENT_ITEMS tasks for every response's output (default 100); ours yields one
# page and a few requests, so 100 tasks per response were pure overhead (docs/benchmark.md).
CONCURRENT_ITEMS = 16
# Pages in flight (waiting for an extraction worker or the writer) stay in Scrapy's scraper slot,
# with their parsed trees: 1 MB of responses (~80 pages) keeps every worker busy and the memory
# flat (Scrapy's default, 5 MB, let ~400 pages and their trees pile up: +60 MB).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy's code-execution HTTP endpoint has no place in an unattended crawler.
REMOTE_CONTROL_ENABLED = False

# Where records land. Relative paths are relative to the working directory (the repo root).
ALMODON_DB = "data/almodon.db"
# Listing pages followed per section in `latest` mode (archive mode follows them all).
ALMODON_LATEST_LISTING_PAGES = 2
# Sitemap months read in `latest` mode (the current and previous month).
ALMODON_LATEST_SITEMAP_MONTHS = 2

# mode=refresh: "<younger than N days>:<re-visit every M days>", first match wins ("*": any age).
ALMODON_REFRESH_POLICY = "3:0,30:1,*:7"

# `almodon backfill`: rows per Wayback CDX page (each page is checkpointed when its captures are in).
ALMODON_BACKFILL_PAGE_SIZE = 1000

# Raw WARC archive (default: a warc/ folder beside the database), rotated at this size.
ALMODON_WARC_DIR = None
ALMODON_WARC_MAX_BYTES = 256 * 1024 * 1024

# Extraction processes beside the Scrapy process (default: CPUs - 1, 1 to 4); 0 extracts and
# writes inside the Scrapy process (for debugging). The database has one writer process.
ALMODON_EXTRACT_WORKERS = None

ITEM_PIPELINES = {
    "pipelines.scrapy_pipelines.ArchivePipeline": 100,
    "pipelines.scrapy_pipelines.ExtractPipeline": 300,
    "pipelines.scrapy_pipelines.ValidatePipeline": 400,
    "pipelines.scrapy_pipelines.StorePipeline": 900,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "scrapers.middlewares.ContactUserAgent": 500,
    # Scrapy 2.19's hands robots.txt to the first waiting request only (docs/faults.md, bug 7)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scrapers.middlewares.RobotsTxtMiddleware": 100,
    # below RetryMiddleware (550): its process_response runs first, so the wait precedes the retry
    "scrapers.middlewares.RetryAfterMiddleware": 560,
}
#: Longest Retry-After (seconds) waited for; a longer one is not retried.
ALMODON_RETRY_AFTER_MAX = 120
SPIDER_MIDDLEWARES = {
    # last to see each callback's output: frees the parsed page as soon as it is done (memory)
    "scrapers.middlewares.ReleaseSelector": 10,
}
EXTENSIONS = {
    "pipelines.scrapy_pipelines.RunLedger": 500,
}
LOG_FORMATTER = "scrapers.logformatter.QuietDrops"
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
