"""Vietnamese folding, Accept-Language negotiation and division types from names."""

from __future__ import annotations

import pytest

from cnscd_api.core.i18n import preferred_language
from cnscd_api.core.text import escape_like, fold
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
