"""Messages in English and Vietnamese, chosen by ``Accept-Language``.

Every problem ``code`` has one entry in ``MESSAGES``, and so has every field-level
message (``errors[].message``) and every reason that fills another message. Code
outside this module never picks a language: it raises a problem or a field error with a
message code and its parameters, or builds a ``Text`` (a code and parameters rendered
later), and the error handler renders it in the caller's language. Parameters may
themselves be ``Text`` (or lists of them), rendered in the same language.

Validation messages from pydantic are translated by error type
(``VALIDATION_MESSAGES_VI`` covers every type pydantic-core defines); errors raised by
our own validators carry a message code of ``MESSAGES`` in their context.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Mapping
from typing import Literal, Protocol

Language = Literal["en", "vi"]

# Between the items of a list shown to people (allowed values in a message, a cell of an
# export): names hold commas ("Cán bộ, công chức xã"), so a comma would split them.
LIST_SEPARATOR = " | "

MESSAGES: dict[str, dict[Language, str]] = {
    "not_found": {
        "en": "The {resource} you asked for does not exist or is outside your scope.",
        "vi": "Không tìm thấy {resource_vi} được yêu cầu hoặc nằm ngoài phạm vi của bạn.",
    },
    "unknown_sequence": {
        "en": "No event has this number: pass the sequence of the last event you have "
        "read, or 0 to read from the beginning.",
        "vi": "Không có sự kiện nào mang số này: hãy truyền số thứ tự của sự kiện cuối "
        "cùng bạn đã đọc, hoặc 0 để đọc từ đầu.",
    },
    "event_type_unknown": {
        "en": "There is no event type {type}: GET /api/v1/event-types lists them "
        "(`<object>.*` names every type of one object).",
        "vi": "Không có loại sự kiện {type}: GET /api/v1/event-types liệt kê các loại "
        "(`<đối tượng>.*` chỉ mọi loại của một đối tượng).",
    },
    "webhook_url_invalid": {
        "en": "The webhook URL must be an absolute http(s) URL with a host name.",
        "vi": "URL webhook phải là một URL http(s) đầy đủ, có tên máy chủ.",
    },
    "webhook_url_not_https": {
        "en": "Webhook URLs must use https.",
        "vi": "URL webhook phải dùng https.",
    },
    "webhook_url_forbidden_address": {
        "en": "The webhook URL leads to an address events are never sent to (loopback, "
        "private, link-local or cloud metadata): {address}.",
        "vi": "URL webhook dẫn tới một địa chỉ không bao giờ được gửi sự kiện tới (loopback, "
        "mạng riêng, link-local hoặc metadata của đám mây): {address}.",
    },
    "webhook_url_unresolvable": {
        "en": "The webhook URL's host name does not resolve: {host}.",
        "vi": "Không phân giải được tên máy chủ của URL webhook: {host}.",
    },
    "webhook_endpoint_disabled": {
        "en": "This webhook endpoint is disabled: enable it first (PATCH enabled: true).",
        "vi": "Điểm nhận webhook này đang tắt: hãy bật lại trước (PATCH enabled: true).",
    },
    "webhook_delivery_in_progress": {
        "en": "This delivery is being sent right now; look at it again in a moment.",
        "vi": "Lần gửi này đang được thực hiện; hãy xem lại sau giây lát.",
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
    "unit_closed": {
        "en": "{name} is no longer valid (its last day was {date}); use its successor.",
        "vi": "{name} không còn hiệu lực (ngày cuối cùng là {date}); hãy dùng đơn vị kế thừa.",
    },
    "unit_not_reorganisable": {
        "en": "A {level} is not reorganised through the API (provinces change by law, "
        "with the reform command).",
        "vi": "Không sắp xếp đơn vị cấp {level} qua API (tỉnh thay đổi theo luật, bằng "
        "lệnh sắp xếp).",
    },
    "unit_not_current": {
        "en": "{name} is not a current unit older than {date}: it was closed, or starts "
        "on or after that date.",
        "vi": "{name} không phải đơn vị đang có hiệu lực trước ngày {date}: đơn vị đã hết "
        "hiệu lực hoặc bắt đầu từ ngày đó trở đi.",
    },
    "unit_listed_twice": {
        "en": "{name} already takes part in another operation of this reorganisation.",
        "vi": "{name} đã có trong một thao tác khác của lần sắp xếp này.",
    },
    "level_mismatch": {
        "en": "A {level} cannot take part here: the operation is about a {expected}.",
        "vi": "Đơn vị cấp {level} không thể tham gia ở đây: thao tác này dành cho cấp {expected}.",
    },
    "merge_target_required": {
        "en": "Give either into_id (an existing unit) or new (a new unit), not both.",
        "vi": "Hãy nhập into_id (đơn vị có sẵn) hoặc new (đơn vị mới), không nhập cả hai.",
    },
    "split_default_required": {
        "en": "Exactly one receiving unit must be the default (it takes the teams, users "
        "and the villages not listed).",
        "vi": "Phải có đúng một đơn vị nhận là mặc định (nhận các tổ, tài khoản và các "
        "thôn không được liệt kê).",
    },
    "split_target_required": {
        "en": "Give either unit_id (an existing unit) or new (a new unit), not both.",
        "vi": "Hãy nhập unit_id (đơn vị có sẵn) hoặc new (đơn vị mới), không nhập cả hai.",
    },
    "not_a_village_of": {
        "en": "This unit does not hang directly under {name}.",
        "vi": "Đơn vị này không trực thuộc {name}.",
    },
    "move_target_invalid": {
        "en": "{name} cannot move under its own parent, itself or a unit below it.",
        "vi": "Không thể chuyển {name} về đơn vị cấp trên hiện tại, về chính nó hoặc về "
        "đơn vị cấp dưới của nó.",
    },
    "effective_date_out_of_range": {
        "en": "A reorganisation takes effect between 1900-01-01 and today; apply it on its date.",
        "vi": "Việc sắp xếp có hiệu lực trong khoảng từ 1900-01-01 đến hôm nay; hãy thực "
        "hiện vào đúng ngày có hiệu lực.",
    },
    "no_successor": {
        "en": "{name} closes without a successor that receives its villages, teams and users.",
        "vi": "{name} hết hiệu lực mà không có đơn vị kế thừa nhận các thôn, tổ và tài "
        "khoản của nó.",
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
    "campaign_reports_outside": {
        "en": "{count} reports of this campaign are dated outside {starts_on} – {ends_on}; "
        "change or delete them first, or keep days that hold them.",
        "vi": "Có {count} báo cáo của đợt này có ngày nằm ngoài {starts_on} – {ends_on}; "
        "hãy sửa hoặc xoá các báo cáo đó trước, hoặc giữ thời gian bao gồm chúng.",
    },
    "campaign_category_in_use": {
        "en": "{count} reports of this campaign are in the category {code_value}; it stays "
        "in the campaign while they are.",
        "vi": "Có {count} báo cáo của đợt này thuộc nội dung {code_value}; nội dung này "
        "phải giữ trong đợt khi còn các báo cáo đó.",
    },
    "campaign_indicator_in_use": {
        "en": "{count} reports of this campaign count the indicator {code_value}; it stays "
        "tracked while they do.",
        "vi": "Có {count} báo cáo của đợt này có số liệu chỉ tiêu {code_value}; chỉ tiêu này "
        "phải giữ trong đợt khi còn các báo cáo đó.",
    },
    "unit_has_later_reports": {
        "en": "{count} reports placed in {name} or below it are dated after {date}; it "
        "cannot close before them.",
        "vi": "Có {count} báo cáo tại {name} hoặc các đơn vị trực thuộc có ngày sau {date}; "
        "không thể kết thúc hiệu lực trước các báo cáo đó.",
    },
    "unit_has_earlier_reports": {
        "en": "{count} reports placed in {name} are dated before {date}; it cannot start "
        "after them.",
        "vi": "Có {count} báo cáo tại {name} có ngày trước {date}; không thể bắt đầu hiệu "
        "lực sau các báo cáo đó.",
    },
    "team_has_history": {
        "en": "The team has a history ({members} members, {reports} activity reports, "
        "{accounts} user accounts); dissolve it (status dissolved) instead of deleting.",
        "vi": "Tổ đã có lịch sử ({members} thành viên, {reports} báo cáo hoạt động, "
        "{accounts} tài khoản người dùng); hãy chuyển trạng thái sang giải thể thay vì xoá.",
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
        "en": "The request is larger than {limit_mb} MB.",
        "vi": "Dữ liệu gửi lên lớn hơn {limit_mb} MB.",
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
    # --- field-level messages (``errors[].message``) ------------------------------
    "field_required": {
        "en": "Field required",
        "vi": "Thiếu trường bắt buộc.",
    },
    "text_forbidden_character": {
        "en": "Contains {char} ({name}), which text may not contain: no control characters, "
        "invisible formatting characters (zero-width spaces, joiners, direction marks and "
        "overrides), private-use characters or noncharacters.",
        "vi": "Chứa ký tự {char} ({name}) không được phép: văn bản không được chứa ký tự điều "
        "khiển, ký tự định dạng vô hình (khoảng trắng độ rộng 0, ký tự nối, dấu và ký tự "
        "đổi hướng chữ), ký tự dùng riêng hoặc ký tự không hợp lệ.",
    },
    "password_forbidden_character": {
        "en": "Contains {char} ({name}): a password may not contain control characters or "
        "unpaired surrogates.",
        "vi": "Chứa ký tự {char} ({name}): mật khẩu không được chứa ký tự điều khiển hoặc "
        "ký tự thay thế (surrogate) đứng lẻ.",
    },
    "phone_invalid": {
        "en": "{value} is not a Vietnamese mobile number.",
        "vi": "{value} không phải số điện thoại di động Việt Nam hợp lệ.",
    },
    "email_invalid": {
        "en": "{value} is not an e-mail address (name@domain).",
        "vi": "{value} không phải địa chỉ e-mail hợp lệ (tên@tên-miền).",
    },
    "username_invalid": {
        "en": "{value} is not a valid username: 3 to 64 letters, digits, dots, hyphens or "
        "underscores, starting with a letter or a digit.",
        "vi": "{value} không phải tên đăng nhập hợp lệ: 3 đến 64 chữ cái không dấu, chữ số, "
        "dấu chấm, gạch ngang hoặc gạch dưới, bắt đầu bằng chữ cái hoặc chữ số.",
    },
    "official_code_invalid": {
        "en": "{value} is not an official code: 1 to 16 letters, digits, dots, hyphens or "
        "underscores.",
        "vi": "{value} không phải mã đơn vị hợp lệ: 1 đến 16 chữ cái không dấu, chữ số, dấu "
        "chấm, gạch ngang hoặc gạch dưới.",
    },
    "date_not_iso": {
        "en": "Must be a date written as YYYY-MM-DD (ISO 8601), e.g. 2024-10-01.",
        "vi": "Phải là ngày viết theo dạng YYYY-MM-DD (ISO 8601), ví dụ 2024-10-01.",
    },
    "datetime_not_iso": {
        "en": "Must be a date and time in ISO 8601, e.g. 2024-10-01T08:00:00+07:00.",
        "vi": "Phải là ngày giờ theo ISO 8601, ví dụ 2024-10-01T08:00:00+07:00.",
    },
    "date_in_future": {
        "en": "The date is in the future.",
        "vi": "Ngày không được ở tương lai.",
    },
    "left_on_with_move": {
        "en": "left_on ends the membership; send team_id or role in another request.",
        "vi": "left_on kết thúc thời gian tham gia tổ; hãy gửi team_id hoặc role trong một "
        "yêu cầu khác.",
    },
    "left_before_joined": {
        "en": "Must not be before the day the member joined ({joined_on}).",
        "vi": "Không được trước ngày thành viên tham gia tổ ({joined_on}).",
    },
    "valid_to_before_valid_from": {
        "en": "Must not be before valid_from ({valid_from}).",
        "vi": "Không được trước ngày bắt đầu hiệu lực valid_from ({valid_from}).",
    },
    "wrong_password": {
        "en": "The current password is wrong.",
        "vi": "Mật khẩu hiện tại không đúng.",
    },
    # --- weak password reasons (``weak_password``) --------------------------------
    "password_too_short": {
        "en": "at least {min_length} characters",
        "vi": "cần ít nhất {min_length} ký tự",
    },
    "password_few_classes": {
        "en": "three of: lowercase, uppercase, digits, symbols (or {long_length}+ characters)",
        "vi": "cần ba trong bốn loại: chữ thường, chữ hoa, chữ số, ký hiệu (hoặc từ "
        "{long_length} ký tự trở lên)",
    },
    "password_common": {
        "en": "not a common or repetitive password",
        "vi": "không được là mật khẩu phổ biến hoặc lặp lại",
    },
    "password_has_username": {
        "en": "must not contain the username",
        "vi": "không được chứa tên đăng nhập",
    },
    # --- CORS refusal reasons (``cors_refused``) ---------------------------------
    "cors_origin": {"en": "origin not allowed", "vi": "nguồn (origin) không được phép"},
    "cors_method": {"en": "method not allowed", "vi": "phương thức không được phép"},
    "cors_headers": {"en": "headers not allowed", "vi": "header không được phép"},
    # --- why an import file cannot be read (``import_unreadable``) ----------------
    "file_empty": {"en": "the file is empty", "vi": "tệp trống"},
    "file_not_xlsx": {"en": "not a valid .xlsx workbook", "vi": "không phải tệp .xlsx hợp lệ"},
    "workbook_no_sheet": {
        "en": "the workbook has no sheet",
        "vi": "tệp không có trang tính nào",
    },
    "sheet_empty": {"en": "the sheet is empty", "vi": "trang tính trống"},
    "file_format_refused": {
        "en": "only .xlsx and UTF-8 .csv files are accepted",
        "vi": "chỉ nhận tệp .xlsx hoặc .csv mã hoá UTF-8",
    },
    "file_not_utf8": {
        "en": "not an .xlsx file nor UTF-8 text",
        "vi": "không phải tệp .xlsx cũng không phải văn bản UTF-8",
    },
    "file_not_text": {
        "en": "not an .xlsx file nor a text CSV file",
        "vi": "không phải tệp .xlsx cũng không phải tệp CSV dạng văn bản",
    },
    "file_malformed": {"en": "malformed content", "vi": "nội dung bị hỏng"},
    "file_zip_bomb": {
        "en": "the workbook unpacks to far more data than a member list",
        "vi": "tệp giải nén ra nhiều dữ liệu hơn hẳn một danh sách thành viên",
    },
    "sheets_ambiguous": {
        "en": "the workbook has data on more than one sheet ({sheets}); keep the member "
        "list on one sheet, or name it with the sheet parameter",
        "vi": "tệp có dữ liệu trên nhiều trang tính ({sheets}); hãy để danh sách thành viên "
        "trên một trang tính, hoặc chọn trang tính bằng tham số sheet",
    },
    "sheet_not_found": {
        "en": "there is no sheet named {sheet} (the sheets are {sheets})",
        "vi": "không có trang tính tên {sheet} (các trang tính: {sheets})",
    },
    "columns_missing": {
        "en": "missing required columns: {columns}",
        "vi": "thiếu cột bắt buộc: {columns}",
    },
    "columns_duplicated": {
        "en": "columns given more than once: {columns}",
        "vi": "có cột xuất hiện nhiều lần: {columns}",
    },
    # --- import row and column errors --------------------------------------------
    "import_column_missing": {
        "en": "Column '{column}' is required.",
        "vi": "Cần có cột '{column}'.",
    },
    "import_column_duplicate": {
        "en": "Column '{column}' is given more than once (as {headers}); keep one.",
        "vi": "Cột '{column}' xuất hiện nhiều lần ({headers}); hãy giữ lại một cột.",
    },
    "import_label_unknown": {
        "en": "{value} is not one of: {allowed}.",
        "vi": "{value} không thuộc các giá trị: {allowed}.",
    },
    "import_date_invalid": {
        "en": "{value} is not a date (dd/mm/yyyy or yyyy-mm-dd).",
        "vi": "{value} không phải ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd).",
    },
    "import_team_not_found": {
        "en": "No such team in your scope.",
        "vi": "Không có tổ này trong phạm vi của bạn.",
    },
    "import_team_dissolved": {
        "en": "The team is dissolved.",
        "vi": "Tổ đã giải thể.",
    },
    "import_same_member": {
        "en": "Same member as row {row}.",
        "vi": "Trùng thành viên ở dòng {row}.",
    },
    "import_leader_exists": {
        "en": "The team already has a leader ({name}).",
        "vi": "Tổ đã có tổ trưởng ({name}).",
    },
    "campaign_not_yours": {
        "en": "This campaign belongs to a unit above your scope; only that tier edits it.",
        "vi": "Đợt cao điểm này thuộc cấp trên phạm vi của bạn; chỉ cấp đó được chỉnh sửa.",
    },
    "campaign_scope_closed": {
        "en": "This campaign belongs to {unit}, which closed on {closed_on} in a "
        "reorganisation: it is kept as history and no longer changes. Create a campaign "
        "on today's units instead.",
        "vi": "Đợt cao điểm này thuộc {unit}, đã kết thúc ngày {closed_on} khi sắp xếp "
        "đơn vị hành chính: đợt được lưu làm lịch sử và không còn thay đổi. Hãy tạo đợt "
        "mới trên các đơn vị hiện nay.",
    },
    "duplicate_code": {
        "en": "{code_value} is listed twice.",
        "vi": "{code_value} bị liệt kê hai lần.",
    },
    "duplicate_target": {
        "en": "Target number {index} repeats a unit and indicator given before it.",
        "vi": "Chỉ tiêu thứ {index} lặp lại một đơn vị và chỉ số đã có trước đó.",
    },
    "unknown_category": {
        "en": "There is no content category with code {code_value}.",
        "vi": "Không có nội dung hướng dẫn nào có mã {code_value}.",
    },
    "unknown_indicator": {
        "en": "There is no indicator with code {code_value}.",
        "vi": "Không có chỉ số nào có mã {code_value}.",
    },
    "catalogue_code_taken": {
        "en": "The code {code_value} is already used; codes never change nor get reused.",
        "vi": "Mã {code_value} đã được dùng; mã không bao giờ thay đổi hay dùng lại.",
    },
    "catalogue_entry_retired": {
        "en": "{code_value} is retired and cannot be chosen any more.",
        "vi": "{code_value} đã ngừng sử dụng, không thể chọn nữa.",
    },
    "values_required": {
        "en": "A report counts at least one indicator above 0 (values).",
        "vi": "Báo cáo phải ghi ít nhất một chỉ số lớn hơn 0 (values).",
    },
    "indicator_outside_categories": {
        "en": "Indicator {code_value} belongs to none of the chosen categories.",
        "vi": "Chỉ số {code_value} không thuộc nội dung nào đã chọn.",
    },
    "ends_before_start": {
        "en": "The last day is before the first ({starts_on}).",
        "vi": "Ngày kết thúc trước ngày bắt đầu ({starts_on}).",
    },
    "campaign_scope_level": {
        "en": "A campaign's scope is a province or a district.",
        "vi": "Phạm vi của đợt cao điểm phải là một tỉnh hoặc một huyện.",
    },
    "campaign_code_taken": {
        "en": "Another campaign already has the code {code_value}.",
        "vi": "Đã có đợt cao điểm khác mang mã {code_value}.",
    },
    "campaign_closed": {
        "en": "The campaign is closed: its dates, categories, indicators, targets and reports can "
        "no longer change.",
        "vi": "Đợt cao điểm đã kết thúc: không thể thay đổi thời gian, nội dung, chỉ số, chỉ tiêu "
        "hay báo cáo của đợt.",
    },
    "support_request_state": {
        "en": "The support request is {status}: it cannot be {action} now.",
        "vi": "Yêu cầu hỗ trợ đang ở trạng thái {status}: không thể {action} lúc này.",
    },
    "device_referral_state": {
        "en": "The referral is {status}: it cannot be {action} now.",
        "vi": "Hộ được giới thiệu đang ở trạng thái {status}: không thể {action} lúc này.",
    },
    "device_need_exists": {
        "en": "{unit} already has a count for {counted_on}; edit that one.",
        "vi": "{unit} đã có số liệu đếm ngày {counted_on}; hãy sửa số liệu đó.",
    },
    "window_too_long": {
        "en": "The wanted window may last at most {days} days.",
        "vi": "Khoảng thời gian mong muốn không được dài quá {days} ngày.",
    },
    "support_place_level": {
        "en": "The place must be a commune or a village.",
        "vi": "Địa điểm phải là một xã hoặc một thôn.",
    },
    "team_outside_place": {
        "en": "The team does not serve the place's commune.",
        "vi": "Tổ không thuộc xã của địa điểm.",
    },
    "team_required_for_leader": {
        "en": "A team leader asks for their own team only.",
        "vi": "Tổ trưởng chỉ gửi yêu cầu cho tổ của mình.",
    },
    "poor_exceeds_total": {
        "en": "Poor and near-poor households together exceed the households counted.",
        "vi": "Tổng số hộ nghèo và cận nghèo vượt quá số hộ đã đếm.",
    },
    "consent_in_future": {
        "en": "The household cannot have agreed on a day still to come.",
        "vi": "Ngày hộ gia đình đồng ý không thể ở tương lai.",
    },
    "unknown_support_request": {
        "en": "No such support request.",
        "vi": "Không có yêu cầu hỗ trợ này.",
    },
    "support_request_not_served": {
        "en": "The support request is {status}: only an accepted or done request can be "
        "named by a report.",
        "vi": "Yêu cầu hỗ trợ đang ở trạng thái {status}: báo cáo chỉ được gắn với yêu cầu "
        "đã được chấp nhận hoặc đã hoàn thành.",
    },
    "support_request_other_organisation": {
        "en": "The support request was addressed to {organisation}: the report must name it "
        "as its partner.",
        "vi": "Yêu cầu hỗ trợ được gửi tới {organisation}: báo cáo phải ghi đơn vị đó là đối "
        "tác hỗ trợ.",
    },
    "support_request_other_place": {
        "en": "The report's place is not inside the support request's place.",
        "vi": "Địa điểm của báo cáo không thuộc địa điểm của yêu cầu hỗ trợ.",
    },
    "campaign_not_closed": {
        "en": "The campaign is not closed.",
        "vi": "Đợt cao điểm chưa kết thúc.",
    },
    "indicator_has_targets": {
        "en": "Indicator {indicator} has targets below the campaign; remove them before dropping "
        "it.",
        "vi": "Chỉ số {indicator} đã được giao chỉ tiêu cho cấp dưới; hãy xoá các chỉ tiêu đó "
        "trước khi bỏ chỉ số.",
    },
    "target_below_children": {
        "en": "{unit} already gave its children {total} for {indicator}: its own target cannot be "
        "{value}.",
        "vi": "{unit} đã giao cho cấp dưới tổng cộng {total} cho chỉ số {indicator}: chỉ tiêu của "
        "đơn vị không thể là {value}.",
    },
    "reopen_until_past": {
        "en": "until must not be before today ({today}).",
        "vi": "until không được trước ngày hôm nay ({today}).",
    },
    "reopen_needs_until": {
        "en": "The campaign's reporting days are over: give until, the last day reports are "
        "accepted again.",
        "vi": "Thời hạn báo cáo của đợt đã hết: hãy nhập until, ngày cuối cùng nhận lại báo cáo.",
    },
    "unit_outside_campaign": {
        "en": "The unit is not inside the campaign's scope.",
        "vi": "Đơn vị không thuộc phạm vi của đợt cao điểm.",
    },
    "not_a_child": {
        "en": "The unit is not a direct child of the unit whose targets these are.",
        "vi": "Đơn vị không phải đơn vị trực thuộc của đơn vị giao chỉ tiêu.",
    },
    "indicator_not_tracked": {
        "en": "The campaign does not track indicator {code_value}.",
        "vi": "Đợt cao điểm không theo dõi chỉ số {code_value}.",
    },
    "targets_invalid": {
        "en": "The targets break the cascade from tier to tier; see errors.",
        "vi": "Chỉ tiêu không khớp với chỉ tiêu cấp trên giao; xem danh sách lỗi.",
    },
    "parent_target_missing": {
        "en": "{unit} has no target of its own for {indicator}, so it cannot split one among its "
        "children.",
        "vi": "{unit} chưa có chỉ tiêu cho chỉ số {indicator} nên chưa thể giao cho cấp dưới.",
    },
    "target_exceeds_parent": {
        "en": "The children of {unit} would get {total} for {indicator}, more than its own target "
        "of {limit}.",
        "vi": "Tổng chỉ tiêu giao cho các đơn vị trực thuộc {unit} là {total} cho chỉ số "
        "{indicator}, vượt chỉ tiêu của đơn vị ({limit}).",
    },
    "activity_exists": {
        "en": "An activity with this id already exists; send it to /activities/batch to learn "
        "whether it is the same.",
        "vi": "Đã có hoạt động mang mã này; gửi qua /activities/batch để biết có trùng nội dung "
        "không.",
    },
    "place_not_valid_on_date": {
        "en": "{name} existed from {valid_from} to {valid_to}: a report of another day belongs "
        "to the unit of that day.",
        "vi": "{name} chỉ có hiệu lực từ {valid_from} đến {valid_to}: hoạt động của ngày khác "
        "thuộc về đơn vị của ngày đó.",
    },
    "place_outside_commune": {
        "en": "The place must be the team's commune or one of its villages.",
        "vi": "Địa điểm phải là xã của tổ hoặc một thôn thuộc xã đó.",
    },
    "member_not_in_team": {
        "en": "This member did not belong to the team on that day.",
        "vi": "Thành viên này không thuộc tổ vào ngày đó.",
    },
    "duplicate_member": {
        "en": "A member is listed twice.",
        "vi": "Một thành viên bị liệt kê hai lần.",
    },
    "attribution_fixed": {
        "en": "A partner's report stays attributed to the organisation that recorded it "
        "({organisation}); nobody can change it.",
        "vi": "Báo cáo do đối tác ghi nhận luôn thuộc về tổ chức đã ghi nhận "
        "({organisation}); không ai được thay đổi.",
    },
    "organisation_not_yours": {
        "en": "A partner records support by its own organisation only.",
        "vi": "Đối tác chỉ ghi nhận hỗ trợ của chính tổ chức mình.",
    },
    "partner_staff_without_partner": {
        "en": "Staff of a partner need the partner's organisation.",
        "vi": "Cần ghi tên đơn vị hỗ trợ khi nhập số cán bộ hỗ trợ.",
    },
    "date_outside_campaign": {
        "en": "The day is outside the campaign ({starts_on} to {ends_on}).",
        "vi": "Ngày này nằm ngoài thời gian của đợt cao điểm (từ {starts_on} đến {ends_on}).",
    },
    "from_after_to": {
        "en": "Must not be after to ({to}).",
        "vi": "Không được sau ngày kết thúc to ({to}).",
    },
    "too_many_periods": {
        "en": "The days asked for span more than {limit} periods of one {interval}; "
        "narrow from and to.",
        "vi": "Khoảng ngày yêu cầu vượt quá {limit} kỳ (theo {interval}); hãy thu hẹp from và to.",
    },
    "category_not_in_campaign": {
        "en": "{code_value} is not one of the campaign's contents.",
        "vi": "{code_value} không thuộc nội dung của đợt cao điểm.",
    },
    "team_outside_campaign": {
        "en": "The team works outside the campaign's scope.",
        "vi": "Tổ hoạt động ngoài phạm vi của đợt cao điểm.",
    },
    "batch_too_large": {
        "en": "A batch holds at most {limit} activities.",
        "vi": "Mỗi lần gửi tối đa {limit} hoạt động.",
    },
    "duplicate_id": {
        "en": "This id is used twice in the batch.",
        "vi": "Mã này bị dùng hai lần trong cùng một lần gửi.",
    },
    "allowance_month_closed": {
        "en": "The month {month} is closed by the approved allowance statement {statement_id}: "
        "its reports cannot change until that statement is reopened.",
        "vi": "Tháng {month} đã khóa theo bảng kê hỗ trợ đã duyệt {statement_id}: không thể "
        "thay đổi báo cáo của tháng cho đến khi bảng kê được mở lại.",
    },
    "allowance_rule_in_use": {
        "en": "The approved allowance statement {statement_id} of {month} was computed under "
        "this rule's days; past months never change: add a new rule with a later effective "
        "date instead.",
        "vi": "Bảng kê hỗ trợ đã duyệt {statement_id} của tháng {month} được tính theo thời "
        "gian áp dụng của quy định này; không sửa các tháng đã qua: hãy thêm quy định mới có "
        "ngày hiệu lực muộn hơn.",
    },
    "allowance_rule_exists": {
        "en": "The province already has a rule in force from that day.",
        "vi": "Tỉnh đã có quy định hiệu lực từ ngày này.",
    },
    "allowance_rule_empty": {
        "en": "A rule pays something: give at least one amount.",
        "vi": "Quy định phải có ít nhất một mức hỗ trợ.",
    },
    "allowance_rule_before_province": {
        "en": "The province exists from {valid_from}: its rule cannot start earlier.",
        "vi": "Tỉnh được thành lập từ {valid_from}: quy định không thể hiệu lực sớm hơn.",
    },
    "allowance_statement_exists": {
        "en": "The unit already has a statement for this month ({statement_id}).",
        "vi": "Đơn vị đã có bảng kê của tháng này ({statement_id}).",
    },
    "allowance_statement_overlaps": {
        "en": "A statement of this month for a unit above or below ({statement_id}) already "
        "covers these teams.",
        "vi": "Bảng kê tháng này của đơn vị cấp trên hoặc cấp dưới ({statement_id}) đã bao gồm "
        "các tổ này.",
    },
    "allowance_statement_approved": {
        "en": "The statement is approved; reopen it first.",
        "vi": "Bảng kê đã được duyệt; cần mở lại trước.",
    },
    "allowance_statement_not_approved": {
        "en": "Only an approved statement can be reopened.",
        "vi": "Chỉ mở lại được bảng kê đã duyệt.",
    },
    "allowance_statement_stale": {
        "en": "The approved reports changed since the statement was prepared; refresh it and "
        "check the new figures before approving.",
        "vi": "Báo cáo đã duyệt đã thay đổi kể từ khi lập bảng kê; hãy cập nhật bảng kê và "
        "kiểm tra số liệu mới trước khi duyệt.",
    },
    "allowance_unit_level": {
        "en": "Statements are prepared per district or commune.",
        "vi": "Bảng kê được lập theo huyện hoặc xã.",
    },
    "allowance_unit_not_valid": {
        "en": "The unit did not exist in that month.",
        "vi": "Đơn vị không tồn tại trong tháng này.",
    },
    "allowance_month_in_future": {
        "en": "The month has not started yet.",
        "vi": "Tháng này chưa bắt đầu.",
    },
    "allowance_no_rule": {
        "en": "No allowance rule of the province is in force in that month.",
        "vi": "Tỉnh chưa có quy định mức hỗ trợ hiệu lực trong tháng này.",
    },
    "own_statement": {
        "en": "Nobody approves or reopens a statement they prepared.",
        "vi": "Không ai được duyệt hoặc mở lại bảng kê do chính mình lập.",
    },
    "statement_review_tier": {
        "en": "A statement is approved and reopened by the tier above its unit.",
        "vi": "Bảng kê do cấp trên của đơn vị duyệt và mở lại.",
    },
    "activity_approved": {
        "en": "The activity is approved and frozen; ask its approver or a higher tier to reopen "
        "it.",
        "vi": "Hoạt động đã được duyệt nên không thể thay đổi; đề nghị người duyệt hoặc cấp trên "
        "mở lại.",
    },
    "activity_rejected": {
        "en": "The activity was sent back; its recorder edits it to submit it again.",
        "vi": "Hoạt động đã bị trả lại; người ghi nhận cần sửa để gửi lại.",
    },
    "activity_not_approved": {
        "en": "Only an approved activity can be reopened.",
        "vi": "Chỉ hoạt động đã duyệt mới có thể mở lại.",
    },
    "own_report": {
        "en": "Nobody reviews or reopens a report they recorded.",
        "vi": "Không ai được tự duyệt hoặc mở lại báo cáo do chính mình ghi nhận.",
    },
    "review_tier": {
        "en": "This report is reviewed by a higher tier than yours.",
        "vi": "Báo cáo này do cấp cao hơn cấp của bạn duyệt.",
    },
    "idempotency_key_invalid": {
        "en": "Idempotency-Key must be 1 to 200 visible ASCII characters.",
        "vi": "Idempotency-Key phải gồm 1 đến 200 ký tự ASCII nhìn thấy được.",
    },
    "idempotency_key_reused": {
        "en": "This Idempotency-Key was used for another request; use a new key for a new request.",
        "vi": "Idempotency-Key này đã dùng cho một yêu cầu khác; hãy dùng khoá mới cho yêu cầu "
        "mới.",
    },
    "idempotency_key_in_progress": {
        "en": "A request with this Idempotency-Key is still running; retry shortly.",
        "vi": "Một yêu cầu mang Idempotency-Key này vẫn đang được xử lý; vui lòng thử lại sau "
        "giây lát.",
    },
}

RESOURCE_NAMES_VI: dict[str, str] = {
    "unit": "đơn vị hành chính",
    "user": "người dùng",
    "api_client": "API client",
    "audit_event": "sự kiện nhật ký",
    "team": "tổ công nghệ số",
    "member": "thành viên",
    "content_category": "nội dung hướng dẫn",
    "indicator": "chỉ số",
    "campaign": "đợt cao điểm",
    "activity": "hoạt động",
    "webhook_endpoint": "điểm nhận webhook",
    "webhook_delivery": "lần gửi webhook",
    "support_request": "yêu cầu hỗ trợ",
    "device_need": "số hộ chưa có điện thoại thông minh",
    "device_referral": "hộ được giới thiệu",
    "allowance_rule": "quy định mức hỗ trợ",
    "allowance_statement": "bảng kê hỗ trợ",
    "resource": "đối tượng",
}


# Vietnamese wording of every validation error type pydantic-core defines (a test keeps
# this complete), and of the types FastAPI adds. Placeholders are the error's context.
VALIDATION_MESSAGES_VI: dict[str, str] = {
    "no_such_attribute": "Đối tượng không có thuộc tính '{attribute}'.",
    "json_invalid": "Nội dung JSON không hợp lệ.",
    "json_type": "Dữ liệu JSON phải là chuỗi ký tự hoặc bytes.",
    "needs_python_object": "Không kiểm tra được giá trị này từ JSON.",
    "recursion_loop": "Dữ liệu có tham chiếu vòng.",
    "recursion_depth_exceeded": "Dữ liệu lồng nhau quá sâu.",
    "missing": "Thiếu trường bắt buộc.",
    "frozen_field": "Không được thay đổi trường này.",
    "frozen_instance": "Không được thay đổi đối tượng này.",
    "extra_forbidden": "Trường này không được phép.",
    "invalid_key": "Tên trường phải là chuỗi ký tự.",
    "get_attribute_error": "Không đọc được thuộc tính.",
    "model_type": "Phải là một đối tượng JSON (object).",
    "model_attributes_type": "Phải là một đối tượng JSON (object).",
    "dataclass_type": "Phải là một đối tượng JSON (object).",
    "dataclass_exact_type": "Phải là một đối tượng JSON (object).",
    "named_tuple_type": "Phải là một danh sách hoặc đối tượng JSON.",
    "default_factory_not_called": "Không tính được giá trị mặc định vì dữ liệu có lỗi khác.",
    "none_required": "Phải để trống (null).",
    "greater_than": "Phải lớn hơn {gt}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "multiple_of": "Phải là bội số của {multiple_of}.",
    "finite_number": "Phải là một số hữu hạn.",
    "too_short": "Phải có ít nhất {min_length} phần tử (hiện có {actual_length}).",
    "too_long": "Không được có quá {max_length} phần tử.",
    "iterable_type": "Phải là một danh sách.",
    "iteration_error": "Không đọc được các phần tử của danh sách.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_unicode": "Phải là chuỗi ký tự Unicode hợp lệ.",
    "string_too_short": "Phải có ít nhất {min_length} ký tự.",
    "string_too_long": "Không được dài quá {max_length} ký tự.",
    "string_pattern_mismatch": "Không đúng định dạng yêu cầu (biểu thức {pattern}).",
    "string_not_ascii": "Chỉ được chứa ký tự ASCII.",
    "enum": "Giá trị phải là một trong: {expected}.",
    "dict_type": "Phải là một đối tượng JSON (object).",
    "frozen_dict_type": "Phải là một đối tượng JSON (object).",
    "ordered_dict_type": "Phải là một đối tượng JSON (object).",
    "counter_type": "Phải là một đối tượng JSON (object).",
    "mapping_type": "Phải là một đối tượng JSON (object).",
    "list_type": "Phải là một danh sách.",
    "deque_type": "Phải là một danh sách.",
    "tuple_type": "Phải là một danh sách.",
    "set_type": "Phải là một danh sách.",
    "set_item_not_hashable": "Các phần tử của danh sách phải là giá trị đơn.",
    "bool_type": "Phải là true hoặc false.",
    "bool_parsing": "Phải là true hoặc false.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_parsing_size": "Số nguyên quá lớn.",
    "int_from_float": "Phải là số nguyên, không có phần thập phân.",
    "float_type": "Phải là một số.",
    "float_parsing": "Phải là một số.",
    "bytes_type": "Phải là dữ liệu nhị phân.",
    "bytes_too_short": "Phải có ít nhất {min_length} byte.",
    "bytes_too_long": "Không được quá {max_length} byte.",
    "bytes_invalid_encoding": "Dữ liệu không đúng mã hoá {encoding}.",
    "value_error": "Giá trị không hợp lệ.",
    "assertion_error": "Giá trị không hợp lệ.",
    "literal_error": "Giá trị phải là một trong: {expected}.",
    "missing_sentinel_error": "Giá trị không hợp lệ.",
    "ellipsis_error": "Giá trị không hợp lệ.",
    "date_type": "Phải là ngày theo định dạng YYYY-MM-DD.",
    "date_parsing": "Không phải ngày hợp lệ (YYYY-MM-DD).",
    "date_from_datetime_parsing": "Không phải ngày hợp lệ (YYYY-MM-DD).",
    "date_from_datetime_inexact": "Phải là một ngày, không kèm giờ.",
    "date_past": "Ngày phải ở quá khứ.",
    "date_future": "Ngày phải ở tương lai.",
    "time_type": "Phải là giờ theo định dạng HH:MM:SS.",
    "time_parsing": "Không phải giờ hợp lệ (HH:MM:SS).",
    "datetime_type": "Phải là thời điểm theo ISO 8601 (ví dụ 2024-10-01T08:00:00+07:00).",
    "datetime_parsing": "Không phải thời điểm hợp lệ theo ISO 8601 "
    "(ví dụ 2024-10-01T08:00:00+07:00).",
    "datetime_object_invalid": "Không phải thời điểm hợp lệ.",
    "datetime_from_date_parsing": "Không phải thời điểm hợp lệ theo ISO 8601 "
    "(ví dụ 2024-10-01T08:00:00+07:00).",
    "datetime_past": "Thời điểm phải ở quá khứ.",
    "datetime_future": "Thời điểm phải ở tương lai.",
    "timezone_naive": "Không được kèm múi giờ.",
    "timezone_aware": "Phải kèm múi giờ (ví dụ +07:00 hoặc Z).",
    "timezone_offset": "Phải có múi giờ lệch {tz_expected} giây, không phải {tz_actual}.",
    "time_delta_type": "Phải là khoảng thời gian hợp lệ.",
    "time_delta_parsing": "Không phải khoảng thời gian hợp lệ (ISO 8601, ví dụ PT15M).",
    "frozen_set_type": "Phải là một danh sách.",
    "is_instance_of": "Kiểu dữ liệu không hợp lệ.",
    "is_subclass_of": "Kiểu dữ liệu không hợp lệ.",
    "callable_type": "Kiểu dữ liệu không hợp lệ.",
    "union_tag_invalid": "Giá trị '{tag}' của {discriminator} phải là một trong: {expected_tags}.",
    "union_tag_not_found": "Thiếu trường phân loại {discriminator}.",
    "arguments_type": "Tham số phải là danh sách hoặc đối tượng JSON.",
    "missing_argument": "Thiếu tham số bắt buộc.",
    "unexpected_keyword_argument": "Tham số này không được phép.",
    "missing_keyword_only_argument": "Thiếu tham số bắt buộc.",
    "unexpected_positional_argument": "Tham số này không được phép.",
    "missing_positional_only_argument": "Thiếu tham số bắt buộc.",
    "multiple_argument_values": "Tham số được truyền nhiều lần.",
    "url_type": "Phải là một URL.",
    "url_parsing": "Không phải URL hợp lệ.",
    "url_syntax_violation": "URL không đúng cú pháp.",
    "url_too_long": "URL không được dài quá {max_length} ký tự.",
    "url_scheme": "URL phải bắt đầu bằng {expected_schemes}.",
    "uuid_type": "Không phải mã UUID hợp lệ.",
    "uuid_parsing": "Không phải mã UUID hợp lệ.",
    "uuid_version": "Phải là UUID phiên bản {expected_version}.",
    "decimal_type": "Phải là một số thập phân.",
    "decimal_parsing": "Không phải số thập phân hợp lệ.",
    "decimal_max_digits": "Không được có quá {max_digits} chữ số.",
    "decimal_max_places": "Không được có quá {decimal_places} chữ số sau dấu thập phân.",
    "decimal_whole_digits": "Không được có quá {whole_digits} chữ số trước dấu thập phân.",
    "fraction_type": "Phải là một phân số.",
    "fraction_parsing": "Không phải phân số hợp lệ.",
    "complex_type": "Phải là một số phức.",
    "complex_str_parsing": "Không phải số phức hợp lệ.",
}
_UNKNOWN_VALIDATION_VI = "Giá trị không hợp lệ ({english})."


class Localised(Protocol):
    """Something that renders itself in a language: a ``Text``, a pydantic error."""

    def render(self, language: Language) -> str: ...


class Text:
    """A message of ``MESSAGES`` with its parameters, rendered when the language is known."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params

    def render(self, language: Language) -> str:
        return message(self.code, language, **self.params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (other.code, other.params) == (self.code, self.params)

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"Text({self.code!r}, **{self.params!r})"

    def __str__(self) -> str:
        return self.render("en")


class ValidationText:
    """A pydantic validation error, rendered in English (pydantic's own wording) or in
    Vietnamese (``VALIDATION_MESSAGES_VI``)."""

    __slots__ = ("context", "english", "error_type")

    def __init__(self, error_type: str, english: str, context: Mapping[str, object]) -> None:
        self.error_type = error_type
        # pydantic's wording may quote the input ("found `\u202e` at 2" for a UUID).
        self.english = escape_invisible(english)
        self.context = dict(context)

    def render(self, language: Language) -> str:
        return validation_message(self.error_type, self.english, self.context, language)


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


class _KeepMissing(dict[str, object]):
    """Format values where a placeholder without a value stays as it is, so that a
    message never turns into a server error; a test checks every raise site's params."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _render_param(value: object, language: Language) -> object:
    if isinstance(value, Text | ValidationText):
        return value.render(language)
    if isinstance(value, list | tuple) and any(isinstance(v, Text) for v in value):
        return "; ".join(str(_render_param(v, language)) for v in value)
    return value


def message(code: str, language: Language, **params: object) -> str:
    templates = MESSAGES.get(code, MESSAGES["http_error"])
    resource = str(params.get("resource", "resource"))
    values = _KeepMissing(resource_vi=RESOURCE_NAMES_VI.get(resource, resource))
    values.update({name: _render_param(value, language) for name, value in params.items()})
    return string.Formatter().vformat(templates[language], (), values)


def template_fields(template: str) -> set[str]:
    """The placeholder names of a message template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def validation_message(
    error_type: str, english: str, context: Mapping[str, object], language: Language
) -> str:
    if language == "en":
        return english
    template = VALIDATION_MESSAGES_VI.get(error_type)
    if template is None:
        return _UNKNOWN_VALIDATION_VI.format(english=english)
    values = _KeepMissing(
        {
            # pydantic lists allowed values as "'a', 'b' or 'c'".
            name: str(value).replace("' or '", "' hoặc '") if name == "expected" else value
            for name, value in context.items()
        }
    )
    return string.Formatter().vformat(template, (), values)


def escape_invisible(text: str) -> str:
    """``text`` with control, format and separator characters (but plain spaces) written
    as escapes (``\\u202e``), so that a message never carries them back to the client."""
    if text.isprintable():
        return text
    return "".join(
        ch
        if unicodedata.category(ch)[0] not in "CZ" or ch == " "
        else f"\\u{ord(ch):04x}"
        if ord(ch) <= 0xFFFF
        else f"\\U{ord(ch):08x}"
        for ch in text
    )


def shown(value: object, limit: int = 60) -> str:
    """A client's value quoted for a message: invisible characters escaped and long
    values cut short."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{escape_invisible(text)}'"
