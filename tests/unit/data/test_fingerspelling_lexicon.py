from collections import Counter

import pytest

from signclip.data.formats.fingerspelling_lexicon import (
    hold_out,
    import_fingerspelling,
    seeded_fraction,
)
from signclip.errors import ManifestError


@pytest.fixture(scope="module")
def index_csv(shared_data):
    return shared_data / "fingerspelling" / "index.csv"


def test_imports_every_letter_of_the_real_lexicon(index_csv):
    records = import_fingerspelling(index_csv)
    assert len(records) == 155
    assert Counter(r.sign_language for r in records) == {
        "ase": 26,
        "gsg": 30,
        "ise": 40,
        "ssp": 30,
        "swl": 29,
    }
    assert {r.split for r in records} == {"train"}
    first = records[0]
    assert (first.text, first.spoken_language, first.sign_language) == ("A", "en", "ase")
    assert first.clip_id == first.pose_path.stem
    assert all(r.pose_path.is_file() for r in records)


def test_hold_out_one_sign_language(index_csv):
    records = import_fingerspelling(index_csv, hold_out("ise"))
    assert {r.sign_language for r in records if r.split == "test"} == {"ise"}
    assert Counter(r.split for r in records) == {"train": 115, "test": 40}


def test_seeded_fraction_is_reproducible_and_near_the_fraction(index_csv):
    first = import_fingerspelling(index_csv, seeded_fraction(0.2, seed=3))
    again = import_fingerspelling(index_csv, seeded_fraction(0.2, seed=3))
    other = import_fingerspelling(index_csv, seeded_fraction(0.2, seed=4))
    assert first == again
    assert first != other
    assert 15 <= sum(r.split == "test" for r in first) <= 50


def test_missing_column_and_empty_split_are_errors(tmp_path):
    index = tmp_path / "index.csv"
    index.write_text("path,spoken_language,words\nase/a.pose,en,A\n")
    with pytest.raises(ManifestError, match="missing column 'signed_language'"):
        import_fingerspelling(index)
    index.write_text("path,spoken_language,signed_language,words\nase/a.pose,en,ase,A\n")
    with pytest.raises(ManifestError, match="split rule returned ''"):
        import_fingerspelling(index, split=lambda record: "")
