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
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 2

# Hostile pages: cap what we download and how deep we go. Depth counts links followed from a
# listing; the next page of a listing is as deep as the page before it (up to a page limit).
DOWNLOAD_MAXSIZE = _core["DOWNLOAD_MAXSIZE"]
DOWNLOAD_WARNSIZE = _core["DOWNLOAD_WARNSIZE"]
DEPTH_LIMIT = _core["DEPTH_LIMIT"]
LUREWATCH_PAGINATION_LIMIT = 200
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawlers.spidermiddlewares.pagination.PaginationDepthMiddleware": 900,
}
URLLENGTH_LIMIT = 2083

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
PLAYWRIGHT_MAX_CONTEXTS = 2
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4

# LureWatch components. Each reads its own settings in from_crawler.
LUREWATCH_CLASSIFY = True  # False: crawl and store without scoring (ClassifyPipeline off)
LUREWATCH_PROGRESS = True  # False: no progress bar or progress log lines

EXTENSIONS = {
    "crawlers.extensions.adstats.AdStats": 500,
    "crawlers.extensions.progress.CrawlProgress": 510,
}

ITEM_PIPELINES = {
    "crawlers.pipelines.normalise.NormalisePipeline": 100,
    "crawlers.pipelines.classify.ClassifyPipeline": 200,
    "index.pipelines.store.StorePipeline": 300,
    "index.pipelines.search.SearchIndexPipeline": 400,
}
