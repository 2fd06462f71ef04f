"""Reading a unit's division type from its official name ("Huyện Đắk Glei" → huyen)."""

from __future__ import annotations

from cnscd_api.core.text import fold
from cnscd_api.models import DivisionType

# Longest prefixes first, so that "Thị trấn" is not read as "Thị xã" and "Tổ dân phố"
# not as anything shorter. Compared on folded text, so case and accents do not matter.
_PREFIXES: tuple[tuple[str, DivisionType], ...] = tuple(
    sorted(
        (
            (fold("Thành phố"), DivisionType.THANH_PHO),
            (fold("Tỉnh"), DivisionType.TINH),
            (fold("Quận"), DivisionType.QUAN),
            (fold("Huyện"), DivisionType.HUYEN),
            (fold("Thị xã"), DivisionType.THI_XA),
            (fold("Phường"), DivisionType.PHUONG),
            (fold("Xã"), DivisionType.XA),
            (fold("Thị trấn"), DivisionType.THI_TRAN),
            (fold("Thôn"), DivisionType.THON),
            (fold("Làng"), DivisionType.LANG),
            (fold("Tổ dân phố"), DivisionType.TO_DAN_PHO),
            (fold("Buôn"), DivisionType.BUON),
            (fold("Bản"), DivisionType.BAN),
            (fold("Ấp"), DivisionType.AP),
            (fold("Khu phố"), DivisionType.KHU_PHO),
            (fold("Đặc khu"), DivisionType.DAC_KHU),
        ),
        key=lambda item: -len(item[0]),
    )
)


def division_type_from_name(name: str) -> DivisionType | None:
    folded = fold(name)
    for prefix, division_type in _PREFIXES:
        if folded == prefix or folded.startswith(prefix + " "):
            return division_type
    return None
