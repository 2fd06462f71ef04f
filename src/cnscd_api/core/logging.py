"""JSON-lines logging with the request id on every record.

Log records carry method, route template, status and duration, never query strings,
bodies, tokens or phone numbers.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from cnscd_api.core.request_context import current_request_id

_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = current_request_id()
    return record


class _DropTerminalColours(logging.Filter):
    """Uvicorn adds a ``color_message`` copy with ANSI escapes; JSON logs do not want it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(json_formatter())
    handler.addFilter(_DropTerminalColours())
    logging.setLogRecordFactory(_record_with_request_id)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # Uvicorn's own access log prints raw query strings; ours logs the route template.
    logging.getLogger("uvicorn.access").disabled = True
    # Client libraries log full URLs, query strings included, at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
