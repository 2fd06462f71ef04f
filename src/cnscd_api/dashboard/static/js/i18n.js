// Words and number/date formats of the dashboard, Vietnamese first, English second.
// Names that come from the API (units, teams, indicators) are asked for in the chosen
// language with Accept-Language; this file holds only the dashboard's own words.

const MESSAGES = {
  vi: {
    "app.title": "Tổ công nghệ số cộng đồng",
    "app.dashboard": "Bảng điều khiển",
    "app.page": "Bảng điều khiển Tổ công nghệ số cộng đồng",
    skip: "Bỏ qua, đến nội dung chính",
    language: "English",
    logout: "Đăng xuất",
    "login.title": "Đăng nhập",
    "login.intro": "Dùng tài khoản cán bộ của bạn. Bảng điều khiển chỉ hiển thị đơn vị trong phạm vi của bạn.",
    "login.username": "Tên đăng nhập",
    "login.password": "Mật khẩu",
    "login.submit": "Đăng nhập",
    "login.missing": "Hãy nhập tên đăng nhập và mật khẩu.",
    "login.expired": "Phiên đăng nhập đã hết. Hãy đăng nhập lại.",
    "login.no_stats": "Vai trò của bạn không được xem bảng điều khiển.",
    "controls.title": "Chọn số liệu",
    "controls.campaign": "Đợt cao điểm",
    "controls.indicator": "Chỉ tiêu",
    "controls.tree": "Bản đồ hành chính",
    "controls.refresh": "Làm mới",
    "tree.current": "Hiện nay",
    "tree.historical": "Thời kỳ đợt cao điểm",
    breadcrumb: "Vị trí",
    csv: "Tải CSV",
    "csv.label": "Tải CSV: {view}",
    "table.of": "Bảng số liệu: {view}",
    "campaign.none": "Chưa có đợt cao điểm nào trong phạm vi của bạn.",
    "campaign.option": "{name} ({from} – {to})",
    loading: "Đang tải…",
    "viewing": "Đang xem {unit}",
    "error.network": "Không kết nối được máy chủ. Hãy thử lại.",
    "overview.title": "Số liệu tổ và thành viên",
    "overview.teams": "Tổ CNSCĐ",
    "overview.teams_active": "đang hoạt động",
    "overview.members": "Thành viên",
    "overview.communes": "Xã có tổ",
    "overview.villages": "Thôn có tổ",
    "overview.activities": "Hoạt động đã báo cáo",
    "overview.approved": "đã duyệt",
    "overview.submitted": "chờ duyệt",
    "overview.rejected": "bị trả lại",
    "overview.affiliation": "Thành viên theo thành phần",
    "overview.of": "{part} / {whole}",
    "progress.title": "Tiến độ so với chỉ tiêu",
    "progress.caption": "{indicator}: kết quả đã duyệt so với chỉ tiêu của từng đơn vị trực thuộc",
    "progress.unit": "Đơn vị",
    "progress.achieved": "Đã duyệt",
    "progress.target": "Chỉ tiêu",
    "progress.percentage": "Tỷ lệ",
    "progress.submitted": "Chờ duyệt",
    "progress.total": "Cả {unit}",
    "progress.drill": "Xem {unit}",
    "progress.none": "Không có đơn vị trực thuộc.",
    "completeness.title": "Báo cáo theo ngày",
    "completeness.caption": "Tỷ lệ tổ đã báo cáo mỗi ngày, theo đơn vị trực thuộc (số tổ đã báo cáo / số tổ đang hoạt động)",
    "completeness.unit": "Đơn vị",
    "completeness.legend": "Chú giải",
    "completeness.no_team": "không có tổ",
    "completeness.cell": "{unit}, {day}: {reported} / {expected} tổ đã báo cáo",
    "completeness.not_started": "Đợt cao điểm chưa bắt đầu.",
    "completeness.silent": "Tổ chưa báo cáo ngày {day}",
    "completeness.all_reported": "Mọi tổ đã báo cáo ngày {day}.",
    "timeseries.title": "Diễn biến theo thời gian",
    "timeseries.interval": "Theo",
    "interval.day": "ngày",
    "interval.week": "tuần",
    "interval.month": "tháng",
    "timeseries.chart": "Biểu đồ đường: {indicator} theo {interval}, từ {from} đến {to}. Đã duyệt tổng {approved}, chờ duyệt tổng {submitted}. Bảng số liệu ở bên dưới.",
    "timeseries.table": "Xem bảng số liệu",
    "timeseries.period": "Kỳ",
    "ranking.title": "Xếp hạng tổ",
    "ranking.caption": "Các tổ có kết quả cao nhất: {indicator}",
    "ranking.rank": "Hạng",
    "ranking.team": "Tổ",
    "ranking.none": "Chưa có tổ nào báo cáo chỉ tiêu này.",
    "note.registry": "Tổ và thành viên theo danh sách hiện nay.",
    "note.historical": "Bản đồ thời kỳ đợt cao điểm: hoạt động tính cho đơn vị của ngày báo cáo; tổ, thành viên và độ phủ vẫn theo danh sách hiện nay, nên đơn vị đã giải thể không còn tổ.",
    "note.today_unit": "Chỉ có trên bản đồ hiện nay: {shown} nay thuộc {area}, số liệu dưới đây là của {area}.",
    "footer.api": "Mọi số liệu lấy từ API công khai",
  },
  en: {
    "app.title": "Community Digital Technology Teams",
    "app.dashboard": "Dashboard",
    "app.page": "Community Digital Technology Teams dashboard",
    skip: "Skip to main content",
    language: "Tiếng Việt",
    logout: "Log out",
    "login.title": "Log in",
    "login.intro": "Use your officer account. The dashboard shows only the units in your scope.",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.missing": "Enter your username and password.",
    "login.expired": "Your session has ended. Please log in again.",
    "login.no_stats": "Your role may not read dashboards.",
    "controls.title": "Choose the figures",
    "controls.campaign": "Campaign",
    "controls.indicator": "Indicator",
    "controls.tree": "Administrative map",
    "controls.refresh": "Refresh",
    "tree.current": "Today's",
    "tree.historical": "At the time of the campaign",
    breadcrumb: "You are here",
    csv: "Download CSV",
    "csv.label": "Download CSV: {view}",
    "table.of": "Table: {view}",
    "campaign.none": "There is no campaign in your scope yet.",
    "campaign.option": "{name} ({from} – {to})",
    loading: "Loading…",
    "viewing": "Showing {unit}",
    "error.network": "The server could not be reached. Please try again.",
    "overview.title": "Teams and members",
    "overview.teams": "Teams",
    "overview.teams_active": "active",
    "overview.members": "Members",
    "overview.communes": "Communes with a team",
    "overview.villages": "Villages with a team",
    "overview.activities": "Activities reported",
    "overview.approved": "approved",
    "overview.submitted": "awaiting review",
    "overview.rejected": "rejected",
    "overview.affiliation": "Members by affiliation",
    "overview.of": "{part} of {whole}",
    "progress.title": "Progress against targets",
    "progress.caption": "{indicator}: approved results against each child unit's target",
    "progress.unit": "Unit",
    "progress.achieved": "Approved",
    "progress.target": "Target",
    "progress.percentage": "Share",
    "progress.submitted": "Awaiting review",
    "progress.total": "All of {unit}",
    "progress.drill": "Show {unit}",
    "progress.none": "No child units.",
    "completeness.title": "Reporting by day",
    "completeness.caption": "Share of teams that reported each day, by child unit (teams that reported / active teams)",
    "completeness.unit": "Unit",
    "completeness.legend": "Legend",
    "completeness.no_team": "no team",
    "completeness.cell": "{unit}, {day}: {reported} of {expected} teams reported",
    "completeness.not_started": "The campaign has not started yet.",
    "completeness.silent": "Teams that did not report on {day}",
    "completeness.all_reported": "Every team reported on {day}.",
    "timeseries.title": "Over time",
    "timeseries.interval": "By",
    "interval.day": "day",
    "interval.week": "week",
    "interval.month": "month",
    "timeseries.chart": "Line chart: {indicator} by {interval}, {from} to {to}. Approved in all {approved}, awaiting review in all {submitted}. The table below has the figures.",
    "timeseries.table": "Show the figures as a table",
    "timeseries.period": "Period",
    "ranking.title": "Team ranking",
    "ranking.caption": "Teams with the highest results: {indicator}",
    "ranking.rank": "Rank",
    "ranking.team": "Team",
    "ranking.none": "No team has reported this indicator yet.",
    "note.registry": "Teams and members as registered today.",
    "note.historical": "Map of the campaign's time: activities count for the unit of their day; teams, members and coverage are today's registry, so a unit since dissolved has no team.",
    "note.today_unit": "Only on today's map: {shown} is now part of {area}; the figures below are {area}'s.",
    "footer.api": "Every figure comes from the public API",
  },
};

// Codes the API answers, named for people.
const LABELS = {
  vi: {
    role: {
      province_admin: "Quản trị cấp tỉnh",
      district_officer: "Cán bộ cấp huyện",
      commune_officer: "Cán bộ cấp xã",
      team_leader: "Tổ trưởng",
      partner: "Đối tác",
      viewer: "Người xem",
    },
    affiliation: {
      youth_union: "Đoàn Thanh niên",
      commune_official: "Cán bộ, công chức xã",
      police: "Công an",
      farmers_association: "Hội Nông dân",
      womens_union: "Hội Liên hiệp Phụ nữ",
      fatherland_front: "Mặt trận Tổ quốc",
      residential_group: "Tổ dân cư, thôn, tổ dân phố",
      it_enterprise: "Doanh nghiệp CNTT, viễn thông",
      other: "Khác",
    },
    series: { approved: "Đã duyệt", submitted: "Chờ duyệt" },
  },
  en: {
    role: {
      province_admin: "Province administrator",
      district_officer: "District officer",
      commune_officer: "Commune officer",
      team_leader: "Team leader",
      partner: "Partner",
      viewer: "Viewer",
    },
    affiliation: {
      youth_union: "Youth Union",
      commune_official: "Commune official",
      police: "Police",
      farmers_association: "Farmers' Association",
      womens_union: "Women's Union",
      fatherland_front: "Fatherland Front",
      residential_group: "Residential group",
      it_enterprise: "IT or telecom enterprise",
      other: "Other",
    },
    series: { approved: "Approved", submitted: "Awaiting review" },
  },
};

const LOCALES = { vi: "vi-VN", en: "en-GB" };
const STORAGE_KEY = "cnscd.dashboard.language";

let language = "vi";

export function initialLanguage() {
  // A preference, not a secret: kept across visits.
  const saved = window.localStorage.getItem(STORAGE_KEY);
  language = saved in MESSAGES ? saved : "vi";
  return language;
}

export function setLanguage(next) {
  language = next in MESSAGES ? next : "vi";
  window.localStorage.setItem(STORAGE_KEY, language);
  return language;
}

export function currentLanguage() {
  return language;
}

export function t(key, params = {}) {
  const template = MESSAGES[language][key] ?? MESSAGES.vi[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

export function label(group, code) {
  return LABELS[language][group]?.[code] ?? code;
}

export function formatNumber(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(LOCALES[language]).format(value);
}

export function formatPercent(value) {
  if (value === null || value === undefined) return "—";
  const number = new Intl.NumberFormat(LOCALES[language], {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(value);
  return `${number}%`;
}

function isoDay(text) {
  const [year, month, day] = text.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day));
}

export function formatDate(text) {
  return new Intl.DateTimeFormat(LOCALES[language], {
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    timeZone: "UTC",
  }).format(isoDay(text));
}

export function formatShortDate(text) {
  return new Intl.DateTimeFormat(LOCALES[language], {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  }).format(isoDay(text));
}

// Fill every element marked with data-i18n with its words in the current language.
export function translatePage(root = document) {
  document.documentElement.lang = language;
  document.title = t("app.page");
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
}
