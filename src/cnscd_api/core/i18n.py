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
    "malformed_body": {
        "en": "The request body cannot be read: send UTF-8 JSON or form data as documented.",
        "vi": "Không đọc được nội dung yêu cầu: hãy gửi JSON UTF-8 hoặc form đúng mô tả.",
    },
    "service_unavailable": {
        "en": "The database cannot be reached right now; try again shortly.",
        "vi": "Hiện không kết nối được cơ sở dữ liệu; vui lòng thử lại sau ít phút.",
    },
    "internal_error": {
        "en": "Something went wrong on our side. Quote the request id when reporting it.",
        "vi": "Hệ thống gặp lỗi. Vui lòng báo kèm mã yêu cầu (request id).",
    },
    "not_authenticated": {
        "en": "Authentication is required: send a bearer access token.",
        "vi": "Cần xác thực: hãy gửi access token dạng Bearer.",
    },
    "invalid_token": {
        "en": "The access token is invalid, expired or no longer accepted.",
        "vi": "Access token không hợp lệ, đã hết hạn hoặc không còn được chấp nhận.",
    },
    "invalid_credentials": {
        "en": "Wrong username or password, or the account cannot log in.",
        "vi": "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản không được phép đăng nhập.",
    },
    "invalid_client": {
        "en": "Unknown client or wrong client secret.",
        "vi": "Client không tồn tại hoặc client secret không đúng.",
    },
    "invalid_refresh_token": {
        "en": "The refresh token is invalid, expired or already used; log in again.",
        "vi": "Refresh token không hợp lệ, đã hết hạn hoặc đã được dùng; vui lòng đăng nhập lại.",
    },
    "unsupported_grant_type": {
        "en": "grant_type must be password or client_credentials.",
        "vi": "grant_type phải là password hoặc client_credentials.",
    },
    "too_many_failed_logins": {
        "en": "Too many failed logins; try again in {retry_after} seconds.",
        "vi": "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau {retry_after} giây.",
    },
    "too_many_failed_logins_from_address": {
        "en": "Too many failed logins from your network; try again in {retry_after} seconds.",
        "vi": "Có quá nhiều lần đăng nhập sai từ mạng của bạn; vui lòng thử lại sau "
        "{retry_after} giây.",
    },
    "forbidden": {
        "en": "Your role may not do this.",
        "vi": "Vai trò của bạn không được phép thực hiện thao tác này.",
    },
    "role_not_grantable": {
        "en": "You may not give the role {role}.",
        "vi": "Bạn không được cấp vai trò {role}.",
    },
    "own_account_change": {
        "en": "Nobody changes their own role or scope, or deactivates themselves.",
        "vi": "Không ai được tự thay đổi vai trò, phạm vi hoặc tự vô hiệu hoá tài khoản của mình.",
    },
    "scope_level_mismatch": {
        "en": "A {role} must be scoped to a unit of level {levels}.",
        "vi": "Vai trò {role} phải gắn với đơn vị cấp {levels}.",
    },
    "team_required": {
        "en": "A team_leader needs team_id, the team they lead.",
        "vi": "Tổ trưởng cần team_id: tổ mà người đó phụ trách.",
    },
    "team_only_for_leaders": {
        "en": "Only a team_leader has a team_id.",
        "vi": "Chỉ tổ trưởng mới gắn với team_id.",
    },
    "scope_unit_required": {
        "en": "scope_unit_id is required for this role.",
        "vi": "Vai trò này cần scope_unit_id.",
    },
    "username_taken": {
        "en": "That username is already in use.",
        "vi": "Tên đăng nhập đã được sử dụng.",
    },
    "weak_password": {
        "en": "The password is too weak: {reasons}.",
        "vi": "Mật khẩu quá yếu: {reasons}.",
    },
    "invalid_parent": {
        "en": "A {level} cannot be placed under a {parent_level}.",
        "vi": "Không thể đặt đơn vị cấp {level} dưới đơn vị cấp {parent_level}.",
    },
    "division_type_unknown": {
        "en": "The division type cannot be read from the name; give division_type.",
        "vi": "Không xác định được loại đơn vị từ tên; hãy nhập division_type.",
    },
    "code_taken": {
        "en": "Another current unit of this level already has that official code.",
        "vi": "Mã đơn vị này đã được dùng cho một đơn vị cùng cấp khác.",
    },
    "api_client_revoked": {
        "en": "This API client has been revoked.",
        "vi": "API client này đã bị thu hồi.",
    },
    "precondition_failed": {
        "en": "The object changed since you read it (If-Match does not match its ETag); "
        "read it again and retry.",
        "vi": "Đối tượng đã thay đổi kể từ khi bạn đọc (If-Match không khớp ETag); "
        "hãy tải lại và thử lại.",
    },
    "team_has_history": {
        "en": "The team has or had members; dissolve it (status dissolved) instead of deleting.",
        "vi": "Tổ đã có thành viên; hãy chuyển trạng thái sang giải thể thay vì xoá.",
    },
    "team_not_open": {
        "en": "The team is dissolved; members cannot join it.",
        "vi": "Tổ đã giải thể; không thể thêm thành viên.",
    },
    "team_unit_level": {
        "en": "A team serves a commune or a village.",
        "vi": "Tổ công nghệ số phục vụ một xã hoặc một thôn.",
    },
    "leader_exists": {
        "en": "The team already has an active leader; send replace_leader=true to replace them.",
        "vi": "Tổ đã có tổ trưởng; gửi replace_leader=true để thay tổ trưởng hiện tại.",
    },
    "member_phone_exists": {
        "en": "A member of this team already has that phone number.",
        "vi": "Tổ này đã có thành viên với số điện thoại này.",
    },
    "member_already_left": {
        "en": "The member has already left; give a team to bring them back.",
        "vi": "Thành viên đã rời tổ; hãy chọn tổ để thêm lại.",
    },
    "import_invalid": {
        "en": "The file has {count} invalid rows; nothing was written. See errors.",
        "vi": "Tệp có {count} dòng không hợp lệ; chưa ghi dữ liệu nào. Xem danh sách lỗi.",
    },
    "import_unreadable": {
        "en": "The file cannot be read: {reason}.",
        "vi": "Không đọc được tệp: {reason}.",
    },
    "import_too_many_rows": {
        "en": "The file has more than {limit} rows.",
        "vi": "Tệp có nhiều hơn {limit} dòng.",
    },
    "payload_too_large": {
        "en": "The upload is larger than {limit_mb} MB.",
        "vi": "Tệp tải lên lớn hơn {limit_mb} MB.",
    },
    "conflict": {
        "en": "The change conflicts with the current state (another request changed it first).",
        "vi": "Thay đổi xung đột với trạng thái hiện tại (một yêu cầu khác đã thay đổi trước).",
    },
    "invalid_value": {
        "en": "A value cannot be stored (for example, it contains control characters).",
        "vi": "Có giá trị không thể lưu (ví dụ chứa ký tự điều khiển).",
    },
    "cors_refused": {
        "en": "This cross-origin request is not allowed ({reason}); ask for the origin to be "
        "added to CNSCD_CORS_ORIGINS.",
        "vi": "Yêu cầu từ nguồn khác này không được phép ({reason}); hãy đề nghị thêm nguồn "
        "vào CNSCD_CORS_ORIGINS.",
    },
    "http_error": {
        "en": "The request could not be handled.",
        "vi": "Không thể xử lý yêu cầu.",
    },
}

RESOURCE_NAMES_VI: dict[str, str] = {
    "unit": "đơn vị hành chính",
    "user": "người dùng",
    "api_client": "API client",
    "audit_event": "sự kiện nhật ký",
    "team": "tổ công nghệ số",
    "member": "thành viên",
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
