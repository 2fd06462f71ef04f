"""Vietnamese folding and alphabetical order, Accept-Language negotiation and division types
from names."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
import vietnam_provinces

from cnscd_api.core.i18n import preferred_language
from cnscd_api.core.text import collation_key, escape_like, fold
from cnscd_api.models import DivisionType
from cnscd_api.units.naming import division_type_from_name


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Huyện Đắk Glei", "huyen dak glei"),
        ("NGUYỄN VĂN A", "nguyen van a"),
        ("Thị trấn  Plei\tKần", "thi tran plei kan"),
        ("Ia H' Drai", "ia h' drai"),
        ("đĐ", "dd"),
        # Decomposed input (as some keyboards send it) folds the same as composed input.
        ("Nguye\u0302\u0303n", "nguyen"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_escape_like() -> None:
    assert escape_like("50%_a\\b") == "50\\%\\_a\\\\b"


@pytest.mark.parametrize(
    ("name", "division_type"),
    [
        ("Tỉnh Kon Tum", DivisionType.TINH),
        ("Thành phố Kon Tum", DivisionType.THANH_PHO),
        ("Thị xã Buôn Hồ", DivisionType.THI_XA),
        ("Thị trấn Plei Kần", DivisionType.THI_TRAN),
        ("Phường Quang Trung", DivisionType.PHUONG),
        ("Xã Đắk Pék", DivisionType.XA),
        ("Quận Ba Đình", DivisionType.QUAN),
        ("Tổ dân phố 3", DivisionType.TO_DAN_PHO),
        ("Làng Kon Klor", DivisionType.LANG),
        ("thôn 1", DivisionType.THON),
        ("Xãhội", None),
        ("Đồi Thông", None),
    ],
)
def test_division_type_from_name(name: str, division_type: DivisionType | None) -> None:
    assert division_type_from_name(name) == division_type


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("vi", "vi"),
        ("vi-VN,vi;q=0.9", "vi"),
        ("en-US,en;q=0.9,vi;q=0.8", "en"),
        ("fr-FR,vi;q=0.5", "vi"),
        ("vi;q=0.2,en;q=0.8", "en"),
        ("de", "en"),
        ("vi;q=abc", "en"),
    ],
)
def test_preferred_language(header: str | None, language: str) -> None:
    assert preferred_language(header) == language


# --- Vietnamese alphabetical order ------------------------------------------------------

ALPHABET = list("aăâbcdđeêghiklmnoôơpqrstuưvxy")


def shuffled(items: list[str]) -> list[str]:
    mixed = list(items)
    random.Random(len(items)).shuffle(mixed)
    assert mixed != items
    return mixed


def test_the_letters_sort_in_the_vietnamese_alphabet() -> None:
    for letters in (ALPHABET, [letter.upper() for letter in ALPHABET]):
        assert sorted(shuffled(letters), key=collation_key) == letters


@pytest.mark.parametrize(
    "ordered",
    [
        # Tones after the letters, in the dictionary's order; lower case first.
        ["ma", "Ma", "mà", "mả", "mã", "má", "mạ"],
        ["e", "é", "ẹ", "ê", "ề", "ệ"],
        # Đ is a letter after D, not a character after Z.
        ["Dak", "Dinh", "Đắk Glei", "Đặng", "Định", "Ea Súp", "Xã X", "Y Ban"],
        # A shorter word first; a letter's mark counts before the next letters do.
        ["An", "An Bình", "Anh", "Ánh A", "Anh B", "Ăn", "Ân"],
        ["On", "Ồ", "Ố", "Ôn", "Ơn", "Uy", "Ư", "Ưng"],
        # Spaces, then punctuation, then digits, then letters (digits one by one).
        ["a b", "a-b", "ab", "Thôn 10", "Thôn 2", "Thôn An"],
        # f, j, w, z of foreign words at their Latin places.
        ["Em", "Fa", "Gia", "Im", "Jo", "Ka", "Vi", "Wa", "Xa", "Yên", "Zen"],
    ],
)
def test_collation_key_sorts_in_vietnamese_order(ordered: list[str]) -> None:
    assert sorted(shuffled(ordered), key=collation_key) == ordered


def test_composed_and_decomposed_text_have_the_same_key() -> None:
    assert collation_key("Nguyễn") == collation_key("Nguye\u0302\u0303n")
    assert collation_key("Nguyễn") != collation_key("Nguyen")


def test_the_country_s_unit_names_sort_as_icu_s_vietnamese_collation() -> None:
    """Every province, district and commune name of vietnam-provinces (8,362) sorts as
    `Intl.Collator("vi")` of Node's ICU sorts them."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: ICU's order not compared")
    data = json.loads(Path(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH).read_text("utf-8"))
    names = sorted(
        {p["name"] for p in data}
        | {d["name"] for p in data for d in p["districts"]}
        | {w["name"] for p in data for d in p["districts"] for w in d["wards"]}
    )
    random.Random(20241001).shuffle(names)
    script = (
        "const names = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(names.sort(new Intl.Collator('vi').compare)));"
    )
    icu = subprocess.run(  # noqa: S603 -- node with a fixed script
        [node, "-e", script], input=json.dumps(names), capture_output=True, text=True, check=True
    )
    assert len(names) > 8000
    assert sorted(names, key=collation_key) == json.loads(icu.stdout)
