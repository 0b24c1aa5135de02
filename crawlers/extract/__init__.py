"""From a fetched page to the fields of an ad: one module per kind of markup."""

from crawlers.extract.dispatch import extract_ad
from crawlers.extract.fields import AdFields

__all__ = ["AdFields", "extract_ad"]
