from pathlib import Path

import pytest

from classifiers.errors import ModelNotFoundError
from classifiers.evaluate import evaluate
from classifiers.service import AdText, LureClassifier, load_classifier
from classifiers.train import ModelInfo, train
from core.ad import Classification
from core.settings import Settings

MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, ModelInfo]:
    settings = Settings(home=tmp_path_factory.mktemp("home"), max_ad_chars=2_000)
    return settings, train(settings, data=[MINI], seed=0)


@pytest.fixture(scope="module")
def clf(trained: tuple[Settings, ModelInfo]) -> LureClassifier:
    return load_classifier(trained[0], announce=pytest.fail)


def test_classification_fields(clf: LureClassifier) -> None:
    result = clf.classify(
        "Registration fee US$300, ticket paid, WhatsApp only.", title="Jobs abroad"
    )
    assert isinstance(result, Classification)
    assert 0.0 <= result.lure_score <= 1.0
    assert result.flagged == (result.lure_score >= clf.threshold)
    assert result.model_version == clf.version
    assert result.lang == "en"
    assert {"fee_or_debt", "travel_paid_abroad", "chat_only_contact"} <= {
        i.code for i in result.indicators
    }


def test_given_language_is_used_and_normalised(clf: LureClassifier) -> None:
    assert clf.classify("Trabalho no exterior, passagem paga", lang="pt-BR").lang == "pt"
    assert clf.classify("Trabalho no exterior, passagem paga").lang == "pt"
    assert clf.classify("Arbeit im Ausland").lang == "other"


def test_long_text_is_capped_and_offsets_stay_valid(clf: LureClassifier) -> None:
    text = "Cook wanted. " * 300 + "Registration fee US$500."
    result = clf.classify(text)
    assert "fee_or_debt" not in {i.code for i in result.indicators}  # beyond the cap
    text = "Registration fee US$500. " + "Cook wanted. " * 300
    for indicator in clf.classify(text).indicators:
        for ev in indicator.evidence:
            assert text[ev.start : ev.end] == ev.text


def test_batch_and_single_agree(clf: LureClassifier) -> None:
    ads = [AdText("Farm jobs in Canada, fee US$400"), AdText("Accounts clerk, email hr@x.example")]
    batch = clf.classify_many(ads)
    assert [clf.classify(a.text).lure_score for a in ads] == [r.lure_score for r in batch]
    assert clf.classify_many([]) == []


def test_evaluate_reports_metrics(trained: tuple[Settings, ModelInfo]) -> None:
    settings, info = trained
    report = evaluate(settings, MINI, announce=pytest.fail)
    assert report.version == info.version and report.n == 24 and report.positives == 12
    c = report.confusion
    assert c["tp"] + c["fp"] + c["tn"] + c["fn"] == 24
    assert report.recall == round(c["tp"] / 12, 4)
    assert set(report.per_language) == {"en", "es", "fr", "ht", "pt"}
    assert sum(m.n for m in report.per_language.values()) == 24
    text = report.to_text()
    assert info.version in text and "precision" in text and "ht" in text


def test_evaluate_unknown_version(trained: tuple[Settings, ModelInfo]) -> None:
    with pytest.raises(ModelNotFoundError):
        evaluate(trained[0], MINI, version="19990101T000000Z-deadbeef")
