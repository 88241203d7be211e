"""The duplicate matcher: names normalised, typos caught, twins and other people left alone."""

import pytest

from betang.registry.services.matching import block_key, name_key, name_score, probable_duplicate


def test_name_key_ignores_case_accents_punctuation_and_titles():
    assert name_key("Hj. Siti  Rahmawati, S.Pd.") == "siti rahmawati"
    assert name_key("Drs. H. Ahmad Sahay") == "ahmad sahay"
    assert name_key("Yosefína Ngabut") == "yosefina ngabut"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Bonifasius Imam Lestari", "Bonifasius mIam Lestari"),  # a typo moves a word in sorted order
        ("Magdalena Rina Tuah", "Magdalena Rina auah"),
        ("Budi Santoso", "Budi Santosa"),
        ("Santoso Budi", "Budi Santoso"),  # reordered
        ("Siti Aminah", "Siti Amminah"),
    ],
)
def test_typos_and_reordering_are_probable_duplicates(a, b):
    assert probable_duplicate(name_a=name_key(a), name_b=name_key(b), same_kk=False) is not None


@pytest.mark.parametrize(
    ("a", "b", "same_sex"),
    [
        ("Nikolas Agus Setiawan", "Nikolas Bambang Setiawan", True),  # brothers, perhaps twins
        ("Budi Santoso", "Budi Santosa", False),  # a man and a woman are not one person
        ("Yohanes Dandan", "Maria Ulfa", True),
    ],
)
def test_different_people_are_not(a, b, same_sex):
    assert probable_duplicate(name_a=name_key(a), name_b=name_key(b), same_kk=True, same_sex=same_sex) is None


def test_scores_and_blocks():
    assert name_score("budi santoso", "budi santoso") == 100
    assert block_key("62.03.01.1006", __import__("datetime").date(1980, 3, 12)) == "62.03.01|1980-03-12"
