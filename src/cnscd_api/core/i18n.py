"""Messages in English and Vietnamese, chosen by ``Accept-Language``.

Every problem ``code`` has one entry here; ``detail`` is rendered from it in the
caller's language. Validation messages from pydantic are translated by error type.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "vi"]

MESSAGES: dict[str, dict[Language, str]] = {
    "not_found": {
        "en": "The {resource} you asked for does not exist or is outside your scope.",
        "vi": "Không tìm thấy {resource_vi} được yêu cầu hoặc nằm ngoài phạm vi của bạn.",
    },
    "route_not_found": {
        "en": "There is no such path in this API.",
        "vi": "Đường dẫn này không có trong API.",
    },
    "method_not_allowed": {
        "en": "This path does not accept the {method} method.",
        "vi": "Đường dẫn này không chấp nhận phương thức {method}.",
    },
    "validation_failed": {
        "en": "The request is not valid; see errors for each field.",
        "vi": "Yêu cầu không hợp lệ; xem danh sách lỗi theo từng trường.",
    },
    "service_unavailable": {
        "en": "The database cannot be reached right now; try again shortly.",
        "vi": "Hiện không kết nối được cơ sở dữ liệu; vui lòng thử lại sau ít phút.",
    },
    "internal_error": {
        "en": "Something went wrong on our side. Quote the request id when reporting it.",
        "vi": "Hệ thống gặp lỗi. Vui lòng báo kèm mã yêu cầu (request id).",
    },
    "http_error": {
        "en": "The request could not be handled.",
        "vi": "Không thể xử lý yêu cầu.",
    },
}

RESOURCE_NAMES_VI: dict[str, str] = {
    "unit": "đơn vị hành chính",
    "resource": "đối tượng",
}

# Vietnamese wording of pydantic's validation error types; others fall back to English.
VALIDATION_MESSAGES_VI: dict[str, str] = {
    "missing": "Thiếu trường bắt buộc.",
    "uuid_parsing": "Không phải mã UUID hợp lệ.",
    "uuid_type": "Không phải mã UUID hợp lệ.",
    "enum": "Giá trị không nằm trong danh sách cho phép: {expected}.",
    "literal_error": "Giá trị không nằm trong danh sách cho phép: {expected}.",
    "int_parsing": "Phải là số nguyên.",
    "int_type": "Phải là số nguyên.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "greater_than": "Phải lớn hơn {gt}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "string_too_short": "Phải có ít nhất {min_length} ký tự.",
    "string_too_long": "Không được dài quá {max_length} ký tự.",
    "string_type": "Phải là chuỗi ký tự.",
    "json_invalid": "Nội dung JSON không hợp lệ.",
    "date_from_datetime_parsing": "Không phải ngày hợp lệ (YYYY-MM-DD).",
    "date_parsing": "Không phải ngày hợp lệ (YYYY-MM-DD).",
    "bool_parsing": "Phải là true hoặc false.",
    "value_error": "Giá trị không hợp lệ.",
    "extra_forbidden": "Trường này không được phép.",
    "invalid_sort": "Không thể sắp xếp theo trường này; được phép: {allowed}.",
}


def preferred_language(accept_language: str | None) -> Language:
    """Pick ``vi`` when the client prefers Vietnamese over English, else ``en``."""
    if not accept_language:
        return "en"
    best: tuple[float, Language] = (0.0, "en")
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        weight = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        # Earlier entries win ties, as clients list languages in order of preference.
        score = weight - position * 1e-6
        language: Language | None = (
            "vi" if tag.startswith("vi") else "en" if tag.startswith("en") or tag == "*" else None
        )
        if language is not None and score > best[0]:
            best = (score, language)
    return best[1]


def message(code: str, language: Language, **params: object) -> str:
    templates = MESSAGES.get(code, MESSAGES["http_error"])
    resource = str(params.get("resource", "resource"))
    values = {"resource_vi": RESOURCE_NAMES_VI.get(resource, resource), **params}
    return templates[language].format(**values)


def validation_message(
    error_type: str, english: str, context: dict[str, object], language: Language
) -> str:
    if language == "en":
        return english
    template = VALIDATION_MESSAGES_VI.get(error_type)
    if template is None:
        return english
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return english
