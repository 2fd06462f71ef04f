"""The dashboard as a page object, the API as the same user reads it, and the number
formats a reader sees (``vi-VN`` and ``en-GB``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.live_server import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Request, Response

API = "/api/v1"
DEMO_PASSWORD = "KonTum-demo-2024"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
WAIT_MS = 30_000
INDICATOR = "people_guided"  # the indicator the dashboard shows first


def vi_number(value: int | None) -> str:
    """A count as vi-VN writes it: 130.245."""
    return "—" if value is None else f"{value:,}".replace(",", ".")


def en_number(value: int | None) -> str:
    """A count as en-GB writes it: 130,245."""
    return "—" if value is None else f"{value:,}"


def vi_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%".replace(".", ",")


def rounded_share(reported: int, expected: int) -> str:
    """The grid's cell: the share of teams that reported, rounded half up (Math.round)."""
    return "—" if expected == 0 else f"{int(reported * 100 / expected + 0.5)}%"


def progress_expected(progress: dict[str, Any], indicator: str = INDICATOR) -> list[list[str]]:
    def row(unit: dict[str, Any], name: str) -> list[str]:
        value = next(item for item in unit["indicators"] if item["indicator"] == indicator)
        return [
            unit["unit_id"],
            name,
            vi_number(value["achieved"]),
            vi_number(value["target"]),
            vi_percent(value["percentage"]),
            vi_number(value["submitted"]),
        ]

    unit = progress["unit"]
    return [
        *(row(child, child["unit_name"]) for child in progress["children"]),
        row(unit, f"Cả {unit['unit_name']}"),
    ]


class ApiReader:
    """The API as ``username`` reads it, with the answers' own names in Vietnamese."""

    def __init__(self, server: LiveServer, username: str, language: str = "vi") -> None:
        self.client = server.client(headers={"Accept-Language": language})
        answer = self.client.post(
            f"{API}/auth/token",
            data={"grant_type": "password", "username": username, "password": DEMO_PASSWORD},
        )
        assert answer.status_code == 200, answer.text
        self.client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def get(self, path: str, **params: Any) -> Any:
        answer = self.client.get(f"{API}{path}", params=_params(params))
        assert answer.status_code == 200, answer.text
        return answer.json()

    def csv(self, path: str, **params: Any) -> bytes:
        answer = self.client.get(
            f"{API}{path}", params=_params(params), headers={"Accept": "text/csv"}
        )
        assert answer.status_code == 200, answer.text
        return answer.content

    def campaign(self) -> dict[str, Any]:
        items = self.get("/campaigns", sort="-starts_on")["items"]
        campaign: dict[str, Any] = items[0]
        return campaign

    def close(self) -> None:
        self.client.close()


def _params(params: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


@dataclass
class Dashboard:
    """One browser context on ``/dashboard/``, with everything it sent and heard."""

    server: LiveServer
    context: BrowserContext
    page: Page
    requests: list[Request] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(
        cls, browser: Browser, server: LiveServer, viewport: dict[str, int], *, clock: bool
    ) -> Dashboard:
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            accept_downloads=True,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        dashboard = cls(server, context, page)
        page.on("request", lambda request: dashboard.requests.append(request))
        page.on("response", lambda response: dashboard.responses.append(response))
        page.on("console", lambda message: dashboard.console.append(message.text))
        page.on("pageerror", lambda error: dashboard.errors.append(str(error)))
        if clock:
            page.clock.install()
        page.goto(f"{server.url}/dashboard/")
        page.wait_for_selector("#login:not([hidden]), #board:not([hidden])")
        return dashboard

    # --- acting as a reader ------------------------------------------------------------

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#login-form button[type=submit]")
        self.page.wait_for_selector("#board:not([hidden])")
        self.wait_loaded()

    def wait_loaded(self) -> None:
        """Until the views are drawn: the load in progress marks ``main`` busy."""
        self.page.wait_for_function(
            "() => !document.querySelector('main').hasAttribute('aria-busy')"
            " && document.querySelector('#overview .figures') !== null"
        )

    def act(self, selector: str) -> None:
        """Click what starts a load, and wait for it to end."""
        self.page.click(selector)
        self.wait_loaded()

    def choose_tree(self, tree: str) -> None:
        self.page.check(f"input[name=tree][value={tree}]")
        self.wait_loaded()

    # --- reading what is shown ---------------------------------------------------------

    def text(self, selector: str) -> str:
        return self.page.locator(selector).inner_text().strip()

    def figure(self, key: str) -> str:
        return self.text(f'[data-figure="{key}"]')

    def cells(self, rows: str, script: str) -> list[Any]:
        """``script`` (a JS function of one row) over every row ``rows`` selects."""
        result: list[Any] = self.page.locator(rows).evaluate_all(f"rows => rows.map({script})")
        return result

    def progress_rows(self) -> list[list[str]]:
        return self.cells(
            "#progress tbody tr, #progress tfoot tr",
            "row => [row.dataset.unitId, row.querySelector('th').textContent.trim(),"
            " ...[...row.querySelectorAll('td')].map(cell => cell.textContent.trim())]",
        )

    def grid_rows(self) -> list[list[Any]]:
        return self.cells(
            "#completeness tbody tr",
            "row => [row.dataset.unitId, row.querySelector('th').textContent.trim(),"
            " [...row.querySelectorAll('td')].map(cell =>"
            " [cell.dataset.day, cell.querySelector('[aria-hidden]').textContent,"
            " cell.querySelector('.visually-hidden').textContent])]",
        )

    def trail(self) -> list[str]:
        return [item.strip() for item in self.page.locator("#trail li").all_inner_texts()]

    def stats_responses(self) -> list[Response]:
        return [r for r in self.responses if f"{API}/stats/" in r.url]

    def check_clean(self) -> None:
        """Nothing left the server, nothing broke the CSP, no script threw."""
        outside = [
            request.url
            for request in self.requests
            if not request.url.startswith((self.server.url + "/", "blob:", "data:"))
        ]
        assert outside == []
        refused = [text for text in self.console if re.search(r"Content.Security.Policy", text)]
        assert refused == []
        assert self.errors == []

    def close(self) -> None:
        self.context.close()


@dataclass
class Reader:
    """A demo user in the browser and, to compare with, on the API."""

    dashboard: Dashboard
    api: ApiReader
    campaign_id: str  # the latest campaign they read
    unit_id: str  # their scope unit
