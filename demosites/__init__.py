"""The demo sites LureWatch serves on 127.0.0.1: Island Classifieds (static pages with
JSON-LD, microdata or no structured data, plus a robots-disallowed folder) and CaribJobs Live
(ads shown only through JavaScript). Used by ``lurewatch demo`` and the end-to-end tests."""

from demosites.catalogue import (
    CLASSIFIEDS_MARKUPS,
    HOSTILE_PAYLOAD,
    JOBBOARD_MARKUPS,
    DemoAd,
    load_catalogue,
)
from demosites.seed import SeedError
from demosites.server import DemoSites, run

__all__ = [
    "CLASSIFIEDS_MARKUPS",
    "HOSTILE_PAYLOAD",
    "JOBBOARD_MARKUPS",
    "DemoAd",
    "DemoSites",
    "SeedError",
    "load_catalogue",
    "run",
]
