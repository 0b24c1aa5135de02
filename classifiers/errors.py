"""Errors raised by the classifier package; each message says what and where."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class for everything the lure classifier refuses to do."""


class CorpusError(ClassifierError, ValueError):
    """A labelled-data file cannot be used (the message names file and line)."""


class IndicatorConfigError(ClassifierError, ValueError):
    """The indicators file is invalid (the message names file, indicator and pattern)."""


class TrainingError(ClassifierError):
    """Training cannot proceed with the data given."""


class ModelNotFoundError(ClassifierError):
    """No model, or no such model version, in the models directory."""


class ModelIntegrityError(ClassifierError):
    """A stored model does not match the SHA-256 recorded when it was saved: refused."""


class UntrustedModelError(ClassifierError):
    """A stored model contains types outside the allow-list: refused unloaded."""


class ClassifierInputError(ClassifierError, ValueError):
    """An ad handed to the classifier is not text (the message says which ad and field)."""
