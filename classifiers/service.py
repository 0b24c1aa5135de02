"""The classifier as the rest of LureWatch uses it: load the current model once, then
score ads one by one or in batches."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from classifiers import registry
from classifiers.features import ad_input
from classifiers.indicators import IndicatorExtractor
from classifiers.language import OTHER, LanguageIdentifier, default_identifier, normalise_lang
from classifiers.model import LureModel
from classifiers.nlp import LANGUAGES
from classifiers.train import train
from core.ad import Classification
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

    @property
    def version(self) -> str:
        return self._version

    def classify(self, text: str, title: str = "", lang: str | None = None) -> Classification:
        return self.classify_many([AdText(text, title, lang)])[0]

    def classify_many(self, ads: Sequence[AdText]) -> list[Classification]:
        """Scores a batch at once: the vectorizers and the model run once per batch."""
        if not ads:
            return []
        inputs, extractions, langs = [], [], []
        for ad in ads:
            # Capping keeps offsets valid: only the end is cut.
            text, title = ad.text[: self._max_chars], ad.title[:MAX_TITLE_CHARS]
            lang = self._language(text, title, ad.lang)
            extraction = self._extractor.extract(
                text, title, lang if lang in LANGUAGES else _FALLBACK_LANG
            )
            extractions.append(extraction)
            inputs.append(ad_input(extraction))
            langs.append(lang)
        # Rounded first, so that flagged == (lure_score >= threshold) holds for what is shown.
        scores = [round(float(s), 4) for s in self._model.predict_proba(inputs)[:, 1]]
        return [
            Classification(
                lure_score=score,
                flagged=score >= self.threshold,
                indicators=extraction.indicators,
                model_version=self._version,
                lang=lang,
            )
            for score, extraction, lang in zip(scores, extractions, langs, strict=True)
        ]

    def _language(self, text: str, title: str, given: str | None) -> str:
        code = normalise_lang(given)
        if code is not None and code != OTHER:
            return code
        return self._identifier.identify(f"{title}\n{text}" if title else text)


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
    extractor = IndicatorExtractor.from_file(stored.path / registry.INDICATORS_FILE)
    return LureClassifier(
        model=stored.model,
        threshold=float(stored.meta["threshold"]),
        version=stored.version,
        extractor=extractor,
        max_chars=settings.max_ad_chars,
    )
