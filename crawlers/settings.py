"""Scrapy settings of the LureWatch crawlers (``scrapy.cfg``: ``default = crawlers.settings``).

Values that follow from LureWatch's own settings (user agent, size caps, depth, Chromium) are read
from the environment here; ``crawlers.runner`` replaces them with the values of the
``core.settings.Settings`` it was given.
"""

from core.settings import Settings
from crawlers.config import scrapy_settings_from

_core = scrapy_settings_from(Settings())

BOT_NAME = "lurewatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Politeness: obey robots.txt, identify ourselves with a contact URL, go slowly.
ROBOTSTXT_OBEY = True
USER_AGENT = _core["USER_AGENT"]
# Classify, store and index in a second process (see ITEM_PIPELINES below).
LUREWATCH_INGEST_WORKER = _core["LUREWATCH_INGEST_WORKER"]
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Items of one response handled at once. Scrapy starts this many tasks per response (100 by
# default), and an ad page holds one ad: the tasks cost more than the items. A channel page's
# posts still go to the ingest worker in batches.
CONCURRENT_ITEMS = 16
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 2  # with RETRY_HTTP_CODES, Scrapy's default (5xx, 408, 429)
# Retries wait 1 s, 2 s, 4 s... up to the max, and at least what a 429/503 Retry-After asks; a
# site asking for more than LUREWATCH_RETRY_AFTER_MAX seconds is left for a later run.
LUREWATCH_RETRY_BACKOFF = 1.0
LUREWATCH_RETRY_BACKOFF_MAX = 30.0
LUREWATCH_RETRY_AFTER_MAX = 60.0
# A site failing this many fetches in a row is left alone for the cooldown (0: no breaker).
LUREWATCH_CIRCUIT_ERRORS = 10
LUREWATCH_CIRCUIT_COOLDOWN = "10m"
LUREWATCH_CRAWL_DELAY_MAX = 60.0  # robots.txt Crawl-delay is honoured up to this many seconds

# Hostile pages: cap what we download and how deep we go. Depth counts links followed from a
# listing; the next page of a listing is as deep as the page before it (up to a page limit).
DOWNLOAD_MAXSIZE = _core["DOWNLOAD_MAXSIZE"]
DOWNLOAD_WARNSIZE = _core["DOWNLOAD_WARNSIZE"]
DEPTH_LIMIT = _core["DEPTH_LIMIT"]
LUREWATCH_PAGINATION_LIMIT = 200
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawlers.spidermiddlewares.pagination.PaginationDepthMiddleware": 900,
    # Link traps (endless calendars): a URL pattern that led to no ad gets a limited number of
    # requests. Inside the depth middleware, so requests past DEPTH_LIMIT do not count.
    "crawlers.spidermiddlewares.traps.LinkTrapMiddleware": 890,
    # Last in the output chain: a link is claimed in the seen-store only once every limit
    # above has let it through.
    "crawlers.spidermiddlewares.claims.SeenStoreClaimsMiddleware": 10,
}
LUREWATCH_MAX_URLS_PER_PATTERN = 100  # 0: no limit
URLLENGTH_LIMIT = 2083

# One dict for every downloader middleware of ours: add yours here, do not define it twice.
DOWNLOADER_MIDDLEWARES = {
    # Evidence: headers as sent and time of arrival, seen before HttpCompression (590) decodes.
    "crawlers.downloadermiddlewares.received.ReceivedMiddleware": 595,
    # Crawl-delay from robots.txt: the least time between requests to a site, also under
    # AutoThrottle. Right after RobotsTxtMiddleware (100), which reads robots.txt.
    "crawlers.downloadermiddlewares.crawldelay.CrawlDelayMiddleware": 110,
    # Reports pages that finally failed (after retries) as page_failed: the run log and
    # lurewatch/errors/<kind> see download errors even where the spider has no errback.
    "crawlers.downloadermiddlewares.failures.FailedPageReporter": 540,
    # Scrapy's retry, with exponential backoff and Retry-After, in its place.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.downloadermiddlewares.backoff.BackoffRetryMiddleware": 550,
    # Per-site circuit breaker; inside retry so it sees every attempt and drops retries too.
    "crawlers.downloadermiddlewares.circuit.CircuitBreakerMiddleware": 560,
    # Hostile pages: binary served as text/html, over the size cap, unreadable text, lying
    # encoding labels (crawlers/downloadermiddlewares/guard.py). Between retry and the failure
    # reporter: sees decoded bodies and size-cap cancellations, and reports them by their kind.
    "crawlers.downloadermiddlewares.guard.PageGuard": 545,
    # Scrapy's decompression, with a gzip bomb reported like the pages above.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawlers.downloadermiddlewares.guard.DecompressionGuard": 590,
    # Redirect loops, seen before RedirectMiddleware (600) follows them 20 times and says nothing;
    # meta refresh loops likewise before MetaRefreshMiddleware (580), on the decoded page.
    "crawlers.downloadermiddlewares.guard.RedirectLoopGuard": 650,
    "crawlers.downloadermiddlewares.guard.MetaRefreshLoopGuard": 585,
}
LUREWATCH_GUARD = True  # False: no guards (benchmarks against a bare spider)

# Both open a local port that runs or inspects code: never wanted on an investigator's machine.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawlers.logformatter.LureLogFormatter"
FEED_EXPORT_ENCODING = "utf-8"

# JavaScript-only sites: scrapy-playwright renders requests whose meta has playwright=True;
# every other request goes through Scrapy's own HTTP handler.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = _core["PLAYWRIGHT_LAUNCH_OPTIONS"]
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = _core["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"]
PLAYWRIGHT_ABORT_REQUEST = "crawlers.render.should_abort_request"
# Bounded memory (crawlers/extensions/rendermemory.py): a context is closed and replaced after
# this many pages; two contexts at most (one in use, one finishing its last pages), four pages
# each, so at most eight pages are open; a browser that crashes or disconnects is started again.
LUREWATCH_RENDER_RECYCLE_PAGES = 200
PLAYWRIGHT_MAX_CONTEXTS = 2
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER = True

# LureWatch components. Each reads its own settings in from_crawler.
LUREWATCH_CLASSIFY = True  # False: crawl and store without scoring (ClassifyPipeline off)
# Ads are scored in batches of up to this many, each ad waiting at most this long for others:
# the model's cost is mostly per call.
LUREWATCH_CLASSIFY_BATCH = 32
LUREWATCH_CLASSIFY_WAIT = 0.02
# With the ingest worker, the items Scrapy hands on after it carry their scores only when
# something reads them: a feed export (FEEDS), a later item pipeline, or this setting (for an
# item_scraped receiver of one's own). The case store has them in every case.
LUREWATCH_SCORED_ITEMS = False
LUREWATCH_PROGRESS = True  # False: no progress bar or progress log lines
LUREWATCH_RUNLOG = True  # False: no run log rows (crawl_runs, failed_pages)
LUREWATCH_RUNLOG_INTERVAL = 60.0  # seconds between stats writes of a running crawl

EXTENSIONS = {
    # Failed pages by kind (lurewatch/errors/<kind>), and the run log in the case database:
    # one row per crawl of a source, failed pages for `lurewatch status` and --retry-failed.
    "crawlers.extensions.errorstats.ErrorStats": 490,
    "crawlers.extensions.runlog.RunLogExtension": 520,
    "crawlers.extensions.adstats.AdStats": 500,
    "crawlers.extensions.progress.CrawlProgress": 510,
    # A resumed crawl asks the case store which pages the stopped one had claimed are
    # stored already (crawlers.signals.stored_pages): those are not fetched again.
    "index.storedpages.StoredPagesLookup": 530,
}

ITEM_PIPELINES = {
    "crawlers.pipelines.normalise.NormalisePipeline": 100,
    # Classify + store + index in a second process when LUREWATCH_INGEST_WORKER is on (the
    # default with two or more CPUs); the three below switch themselves off then.
    "index.pipelines.worker.IngestWorkerPipeline": 150,
    "crawlers.pipelines.classify.ClassifyPipeline": 200,
    "index.pipelines.store.StorePipeline": 300,
    "index.pipelines.search.SearchIndexPipeline": 400,
}
