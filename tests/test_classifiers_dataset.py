import json
from pathlib import Path

import pytest

from classifiers.corpus import LabelledAd, load_seed, seed_files
from classifiers.dataset import SEED, load_training_data
from classifiers.errors import CorpusError
from classifiers.tabular import Columns

MINI = Path(__file__).parent / "data" / "classifiers" / "mini.jsonl"


def write_csv(folder: Path, text: str = "Cook wanted in Arima") -> Path:
    path = folder / "jobs.csv"
    path.write_text(f"description,fraudulent\n{text},f\nGirls for Dubai,t\n", encoding="utf-8")
    return path


TF = Columns(text=("description",), label="fraudulent", positive=("t",), negative=("f",))


def test_nothing_given_means_the_seed() -> None:
    data = load_training_data()
    assert data.uses_seed and data.files == seed_files()
    assert data.sources == [{"name": "seed", "kind": "seed", "ads": len(load_seed())}]
    assert data.columns is None and data.direct == 0
    assert data.sha256 == load_training_data([SEED]).sha256


def test_seed_files_and_direct_ads_together(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path)
    direct = [
        LabelledAd(id="s2", text="Nanny for Miami, send photos", label=1),
        LabelledAd(id="s1", text="Cashier, Castries", label=0),
    ]
    data = load_training_data([SEED, csv_path, SEED], TF, direct)
    assert [s["kind"] for s in data.sources] == ["seed", "csv", "direct"]
    assert len(data.ads) == len(load_seed()) + 2 + 2
    assert [a.id for a in data.ads[-2:]] == ["s1", "s2"]  # direct ads sorted by id
    assert data.columns == TF.describe()
    assert data.files[-1] == csv_path


def test_digest_covers_files_mapping_and_direct_ads(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path)
    ad = LabelledAd(id="s1", text="Cashier, Castries", label=0)
    base = load_training_data([csv_path], TF, [ad]).sha256
    assert load_training_data([csv_path], TF, [ad]).sha256 == base
    other_mapping = Columns(
        text=("description",), label="fraudulent", positive=("t", "y"), negative=("f",)
    )
    assert load_training_data([csv_path], other_mapping, [ad]).sha256 != base
    relabelled = LabelledAd(id="s1", text="Cashier, Castries", label=1)
    assert load_training_data([csv_path], TF, [relabelled]).sha256 != base
    assert load_training_data([csv_path], TF).sha256 != base
    write_csv(tmp_path, text="Cook wanted in Arima!")
    assert load_training_data([csv_path], TF, [ad]).sha256 != base
    # The folder a file sits in does not matter, only its name and bytes.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "jobs.csv").write_bytes(csv_path.read_bytes())
    assert (
        load_training_data([moved / "jobs.csv"], TF, [ad]).sha256
        == load_training_data([csv_path], TF, [ad]).sha256
    )


def test_ids_used_twice_across_sources_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "copy.jsonl"
    copy.write_text(MINI.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"copy\.jsonl:1: id 'mini-en-01' already used at .*mini"):
        load_training_data([MINI, copy])
    first_id = json.loads(MINI.read_text().splitlines()[0])["id"]
    clash = LabelledAd(id=first_id, text="x", label=0, source="store ad 5")
    with pytest.raises(CorpusError, match="store ad 5: id 'mini-en-01' already used"):
        load_training_data([MINI], ads=[clash])


@pytest.mark.parametrize(
    ("ad", "message"),
    [
        (LabelledAd(id="", text="x", label=0), "without an id"),
        (LabelledAd(id="a", text=" ", label=0), "ad 'a': empty text"),
        (LabelledAd(id="a", text="x", label=2), "ad 'a': label must be 0 or 1, got 2"),
    ],
)
def test_bad_direct_ads(ad: LabelledAd, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        load_training_data([MINI], ads=[ad])
