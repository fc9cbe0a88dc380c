import pytest

from signclip.errors import ManifestError
from signclip.evaluation.class_list import read_class_list


def test_indexed_lines_lose_their_index(tmp_path):
    path = tmp_path / "wlasl_class_list.txt"
    path.write_text("0\tbook\n1\tdrink\n\n2\tthank you\n")
    assert read_class_list(path) == ("book", "drink", "thank you")


def test_plain_lines_keep_a_leading_number(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("book\n100 dollars\n")
    assert read_class_list(path) == ("book", "100 dollars")


@pytest.mark.parametrize(
    ("text", "named"), [("", "no classes"), ("a\nb\na\n", "'a' is listed twice")]
)
def test_bad_lists_are_refused(tmp_path, text, named):
    path = tmp_path / "classes.txt"
    path.write_text(text)
    with pytest.raises(ManifestError, match=named):
        read_class_list(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ManifestError, match=r"nosuch\.txt: cannot read it"):
        read_class_list(tmp_path / "nosuch.txt")
