"""The lure classifier: indicators with evidence, a calibrated model, versioned storage."""

from classifiers.errors import (
    ClassifierError,
    CorpusError,
    IndicatorConfigError,
    ModelIntegrityError,
    ModelNotFoundError,
    TrainingError,
    UntrustedModelError,
)
from classifiers.evaluate import EvaluationReport, evaluate
from classifiers.jsonl import classify_stream
from classifiers.service import AdText, LureClassifier, load_classifier
from classifiers.train import ModelInfo, train

__all__ = [
    "AdText",
    "ClassifierError",
    "CorpusError",
    "EvaluationReport",
    "IndicatorConfigError",
    "LureClassifier",
    "ModelInfo",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "TrainingError",
    "UntrustedModelError",
    "classify_stream",
    "evaluate",
    "load_classifier",
    "train",
]
