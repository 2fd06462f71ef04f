// The public API as a browser client sees it: the password grant, a silent refresh
// before the access token runs out, logout, and GETs that keep each answer with its ETag
// so that asking again for an unchanged figure costs a bodyless 304.
//
// Tokens: the access token lives in memory only; the refresh token in sessionStorage,
// so a reload of the tab keeps the session and closing the tab ends it (see
// docs/decisions.md).

export const API = "/api/v1";
const REFRESH_KEY = "cnscd.dashboard.refresh";
// Refresh this long before the access token expires (a quarter of its life if shorter).
const REFRESH_LEAD_SECONDS = 60;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code ?? null;
    this.problem = problem;
  }
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value !== null && value !== undefined && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function filenameOf(response, fallback) {
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const match = /filename="?([^";]+)"?/i.exec(disposition);
  return match ? match[1] : fallback;
}

export class Client {
  constructor({ language, onSessionEnd }) {
    this.language = language; // () => "vi" | "en"
    this.onSessionEnd = onSessionEnd; // called when the session cannot be kept
    this.accessToken = null;
    this.refreshTimer = null;
    this.refreshing = null;
    // language + URL → { etag, body }: the last answer of each view.
    this.answers = new Map();
  }

  get signedIn() {
    return this.accessToken !== null;
  }

  async login(username, password) {
    const response = await fetch(`${API}/auth/token`, {
      method: "POST",
      headers: { "Accept-Language": this.language() },
      body: new URLSearchParams({ grant_type: "password", username, password }),
      cache: "no-store",
    });
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    this.keep(await response.json());
  }

  // A reload of the tab: the refresh token kept in sessionStorage gets a new pair.
  async resume() {
    if (!window.sessionStorage.getItem(REFRESH_KEY)) return false;
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  // One refresh at a time: views asking at once share it (a refresh token is single use).
  refresh() {
    this.refreshing ??= this.exchange().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async exchange() {
    const refreshToken = window.sessionStorage.getItem(REFRESH_KEY);
    if (!refreshToken) throw new ApiError(401, null);
    const response = await fetch(`${API}/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": this.language() },
      body: JSON.stringify({ refresh_token: refreshToken }),
      cache: "no-store",
    });
    if (!response.ok) {
      const error = new ApiError(response.status, await problemOf(response));
      if (response.status === 401) this.forget();
      throw error;
    }
    this.keep(await response.json());
  }

  keep(tokens) {
    this.accessToken = tokens.access_token;
    if (tokens.refresh_token) window.sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
    window.clearTimeout(this.refreshTimer);
    const lead = Math.min(REFRESH_LEAD_SECONDS, tokens.expires_in / 4);
    this.refreshTimer = window.setTimeout(() => {
      this.refresh().catch((error) => {
        // Refused: the session is over. Unreachable (a phone out of signal): the next
        // read's 401 tries again.
        if (error instanceof ApiError) this.onSessionEnd("expired");
      });
    }, (tokens.expires_in - lead) * 1000);
  }

  forget() {
    window.clearTimeout(this.refreshTimer);
    this.accessToken = null;
    this.answers.clear();
    window.sessionStorage.removeItem(REFRESH_KEY);
  }

  async logout() {
    const refreshToken = window.sessionStorage.getItem(REFRESH_KEY);
    try {
      if (refreshToken && this.accessToken) {
        await fetch(`${API}/auth/logout`, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${this.accessToken}`,
            "Content-Type": "application/json",
          },
          body: JSON.stringify({ refresh_token: refreshToken }),
          cache: "no-store",
        });
      }
    } finally {
      this.forget();
    }
  }

  // A GET with the bearer token; on a 401 the token is refreshed once and the call
  // repeated, so an answer never fails only because a phone slept past the timer.
  async send(path, params, headers) {
    const url = `${API}${path}${query(params)}`;
    const call = () =>
      fetch(url, {
        headers: {
          ...headers,
          Authorization: `Bearer ${this.accessToken}`,
          "Accept-Language": this.language(),
        },
        // The browser's own cache stays out of it: this client keeps the answers and
        // revalidates them itself, so every figure shown is the server's of this moment.
        cache: "no-store",
      });
    let response = await call();
    if (response.status === 401 && window.sessionStorage.getItem(REFRESH_KEY)) {
      try {
        await this.refresh();
      } catch (error) {
        if (error instanceof ApiError) this.onSessionEnd("expired");
        throw error;
      }
      response = await call();
    }
    return response;
  }

  // JSON, kept with its ETag: asked again, it is sent with If-None-Match and a 304
  // answers from what was kept.
  async get(path, params = {}) {
    const key = `${this.language()} ${path}${query(params)}`;
    const kept = this.answers.get(key);
    const headers = { Accept: "application/json" };
    if (kept) headers["If-None-Match"] = kept.etag;
    const response = await this.send(path, params, headers);
    if (response.status === 304 && kept) return kept.body;
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    const body = await response.json();
    const etag = response.headers.get("ETag");
    if (etag) this.answers.set(key, { etag, body });
    return body;
  }

  // The same answer as CSV (what the API sends for Accept: text/csv), as text.
  async csv(path, params = {}) {
    const response = await this.send(path, params, { Accept: "text/csv" });
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    return { text: await response.text(), filename: filenameOf(response, "cnscd.csv") };
  }
}

// Hand a CSV to the browser as a download; the byte-order mark keeps Excel reading UTF-8.
export function saveCsv(text, filename) {
  const blob = new Blob(["\ufeff", text.replace(/^\ufeff/, "")], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
