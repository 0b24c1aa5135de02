"""The classifier as the rest of LureWatch uses it: load the current model once, then
score ads one by one or in batches."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from classifiers import registry
from classifiers.entities import UnknownRegionError, check_region, region_from_host
from classifiers.errors import ClassifierInputError
from classifiers.explain import Explainer
from classifiers.features import ad_input
from classifiers.indicators import IndicatorExtractor, Source
from classifiers.language import OTHER, LanguageIdentifier, default_identifier, normalise_lang
from classifiers.model import LureModel
from classifiers.nlp import LANGUAGES
from classifiers.train import train
from core.ad import Ad, Classification
from core.settings import Settings

MAX_TITLE_CHARS = 1_000
# Ads in no language we have patterns for are matched with English ones (the region's
# lingua franca) plus the language-independent patterns.
_FALLBACK_LANG = "en"


@dataclass(frozen=True)
class AdText:
    text: str
    title: str = ""
    lang: str | None = None
    # The site's country (ISO code, e.g. "LC"): the default for phone numbers without "+",
    # bare "$" amounts and the wage reference when the ad names no place.
    region: str | None = None

    @classmethod
    def of(cls, ad: Ad) -> AdText:
        """A crawled ad as the classifier reads it; the region comes from the site's
        country domain, if it has one ("empleos.com.do" -> DO)."""
        host = urlsplit(ad.url).hostname or ""
        return cls(ad.text, ad.title, ad.lang or None, region_from_host(host) if host else None)


class LureClassifier:
    def __init__(
        self,
        model: LureModel,
        threshold: float,
        version: str,
        extractor: IndicatorExtractor,
        identifier: LanguageIdentifier | None = None,
        max_chars: int = 20_000,
    ) -> None:
        self._model = model
        self.threshold = threshold
        self._version = version
        self._extractor = extractor
        self._identifier = identifier or default_identifier()
        self._max_chars = max_chars
        self._explainer: Explainer | None = None

    @property
    def version(self) -> str:
        return self._version

    def warm(self) -> LureClassifier:
        """Loads everything scoring needs up front (see ``IndicatorExtractor.warm``)."""
        self._extractor.warm()
        self.classify_many([AdText(f"warm-up {lang}", lang=lang) for lang in LANGUAGES])
        return self

    def warm_in_background(self) -> LureClassifier:
        """``warm`` on a daemon thread: the crawl starts at once and its first pages (robots.txt,
        listings) are fetched meanwhile; an ad that needs a language still being built waits
        for it, as it would have anyway. (Warming takes seconds per language.) Only the
        indicator matchers are built there: they are built under their own lock, so scoring
        on the crawl's thread never sees one half-built."""
        threading.Thread(target=self._extractor.warm, name="lurewatch-warm-up", daemon=True).start()
        return self

    def classify(self, text: str, title: str = "", lang: str | None = None) -> Classification:
        return self.classify_many([AdText(text, title, lang)])[0]

    def classify_many(self, ads: Sequence[AdText], explain: bool = True) -> list[Classification]:
        """Scores a batch at once: the vectorizers and the model run once per batch.
        ``explain`` also fills ``top_terms`` (a small part of the cost; evaluation runs can
        leave it out). An ad with neither text nor title (or only whitespace) is not scored:
        nothing in it can recruit anyone, so it gets score 0 and no terms."""
        results: list[Classification | None] = [None] * len(ads)
        todo: list[int] = []
        texts: list[str] = []
        titles: list[str] = []
        for i, ad in enumerate(ads):
            _check(ad, i)
            # Capping keeps offsets valid: only the end is cut.
            text, title = ad.text[: self._max_chars], ad.title[:MAX_TITLE_CHARS]
            if not text.strip() and not title.strip():
                results[i] = self._nothing_to_read(ad.lang)
                continue
            todo.append(i)
            texts.append(text)
            titles.append(title)
        # Stage by stage (languages, then indicators and entities: see extract_many) rather
        # than ad by ad: each stage's tables stay in the processor's caches between ads.
        langs = [
            self._language(text, title, ads[i].lang)
            for i, text, title in zip(todo, texts, titles, strict=True)
        ]
        # Entities are read from ``text`` only, so their offsets index the text.
        extractions = self._extractor.extract_many(
            [
                Source(text, title, lang if lang in LANGUAGES else _FALLBACK_LANG, ads[i].region)
                for i, text, title, lang in zip(todo, texts, titles, langs, strict=True)
            ]
        )
        inputs = [ad_input(extraction) for extraction in extractions]
        if todo:
            features = self._model.features(inputs)
            probabilities = self._model.predict_proba_features(features)[:, 1]
            # Rounded first, so that flagged == (lure_score >= threshold) holds for what is shown.
            scores = [round(float(s), 4) for s in probabilities]
            terms = (
                self.explainer.explain(features, texts, titles) if explain else [[] for _ in todo]
            )
            for i, score, extraction, lang, top in zip(
                todo, scores, extractions, langs, terms, strict=True
            ):
                results[i] = Classification(
                    lure_score=score,
                    flagged=score >= self.threshold,
                    indicators=extraction.indicators,
                    model_version=self._version,
                    lang=lang,
                    top_terms=top,
                    entities=list(extraction.entities),
                )
        return [r for r in results if r is not None]

    @property
    def explainer(self) -> Explainer:
        """Built on first use: it indexes the model's vocabularies (a fraction of a second)."""
        if self._explainer is None:
            self._explainer = Explainer(self._model)
        return self._explainer

    def _nothing_to_read(self, given: str | None) -> Classification:
        code = normalise_lang(given)
        return Classification(
            lure_score=0.0,
            flagged=False,
            indicators=[],
            model_version=self._version,
            lang=code if code is not None else OTHER,
        )

    def _language(self, text: str, title: str, given: str | None) -> str:
        """The given language when it is one of ours; any other code (a language we have no
        patterns for, or one we do not know, such as "xx") is not trusted: the text is
        identified instead, which may still answer "other"."""
        code = normalise_lang(given)
        if code is not None and code != OTHER:
            return code
        return self._identifier.identify(f"{title}\n{text}" if title else text)


def _check(ad: AdText, i: int) -> None:
    """Callers outside the JSONL reader pass whatever they hold: refuse non-text clearly."""
    for name in ("text", "title"):
        value = getattr(ad, name)
        if not isinstance(value, str):
            raise ClassifierInputError(
                f"ad {i + 1} of the batch: {name} must be a string, got {type(value).__name__}"
            )
    if ad.lang is not None and not isinstance(ad.lang, str):
        raise ClassifierInputError(
            f"ad {i + 1} of the batch: lang must be a string or None, got {type(ad.lang).__name__}"
        )
    if ad.region is not None:
        if not isinstance(ad.region, str):
            raise ClassifierInputError(
                f"ad {i + 1} of the batch: region must be a string or None, "
                f"got {type(ad.region).__name__}"
            )
        try:
            check_region(ad.region)
        except UnknownRegionError as exc:
            raise ClassifierInputError(f"ad {i + 1} of the batch: {exc}") from exc


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_classifier(
    settings: Settings,
    announce: Callable[[str], None] = _to_stderr,
    version: str | None = None,
) -> LureClassifier:
    """The current model (or ``version``). A home without any model first gets the bundled
    seed model, trained here once."""
    models_dir = settings.models_dir
    if version is None and registry.current_version(models_dir) is None:
        announce(f"No model in {models_dir}: training the bundled seed model (first run only)…")
        train(settings)
    stored = registry.load_version(models_dir, version)
    extractor = registry.extractor_of(stored.path)
    return LureClassifier(
        model=stored.model,
        threshold=float(stored.meta["threshold"]),
        version=stored.version,
        extractor=extractor,
        max_chars=settings.max_ad_chars,
    )
