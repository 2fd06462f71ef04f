"""Streaming CSV and XLSX exports, and reading uploaded spreadsheets.

Exports never hold the whole table: rows come from the database in batches and leave as
they are written. CSV is UTF-8 with a byte-order mark so that Excel shows Vietnamese
correctly; XLSX is written by openpyxl's write-only workbook (rows go to a temporary
file, not to memory) and then streamed.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from xml.etree import ElementTree

from fastapi import Depends, Query, Request
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from starlette.responses import StreamingResponse

from cnscd_api.core.i18n import Text, shown
from cnscd_api.core.text import fold

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


def media_type(fmt: ExportFormat) -> str:
    return XLSX_MEDIA_TYPE if fmt is ExportFormat.XLSX else CSV_MEDIA_TYPE


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that Excel shows as typed: text that Excel would run as a formula
    (``=HYPERLINK(…)``, ``+``, ``-``, ``@``) gets a leading apostrophe, the usual guard."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title: str = "Sheet1"
) -> Iterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    sheet.append(list(headers))
    for row in rows:
        sheet.append(_xlsx_cells(sheet, row))
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def _xlsx_cells(sheet: Any, row: Sequence[Any]) -> list[Any]:
    """A row's values, with text that starts with ``=`` kept as text: openpyxl would
    otherwise write it as a formula (a name or note typed as ``=…`` must not run in
    Excel, and ``=> …`` would make Excel report the file as damaged)."""
    cells: list[Any] = []
    for raw in row:
        # Control characters are not allowed in XLSX cells (openpyxl refuses the file).
        value = ILLEGAL_CHARACTERS_RE.sub("", raw) if isinstance(raw, str) else raw
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def export_chunks(
    fmt: ExportFormat, headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title: str
) -> Iterator[bytes]:
    if fmt is ExportFormat.XLSX:
        return xlsx_chunks(headers, rows, sheet_title)
    return csv_chunks(headers, rows)


OCTET_STREAM = "application/octet-stream"
_BINARY = {"schema": {"type": "string", "format": "binary"}}

# The ``responses=`` entry of a route that answers a spreadsheet. Each media type is a
# binary string, and ``application/octet-stream`` is listed too (served when the client
# asks for it with ``Accept``): generators return the raw bytes for it, so a workbook is
# never decoded as text.
SPREADSHEET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment (`Content-Disposition`): XLSX or CSV as "
        "`format` asks, under its own media type, or under `application/octet-stream` when "
        "the request's `Accept` names only that.",
        "content": {XLSX_MEDIA_TYPE: _BINARY, "text/csv": _BINARY, OCTET_STREAM: _BINARY},
        "headers": {
            "Content-Disposition": {
                "description": 'The file name: `attachment; filename="members.xlsx"`.',
                "schema": {"type": "string"},
                "required": True,
            }
        },
    }
}


@dataclass(frozen=True)
class Export:
    """What a download answers: the file's format, and the media type to send it as."""

    format: ExportFormat
    media_type: str


async def export_format(
    request: Request,
    format: Annotated[
        ExportFormat, Query(description="`xlsx` (Excel workbook) or `csv` (UTF-8 with BOM).")
    ] = ExportFormat.XLSX,
) -> Export:
    """The ``format`` query parameter, and the media type ``Accept`` asks for."""
    accept = {
        part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")
    }
    wanted = OCTET_STREAM if accept == {OCTET_STREAM} else media_type(format)
    return Export(format, wanted)


ExportDep = Annotated[Export, Depends(export_format)]


def download(
    export: Export | ExportFormat,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str,
    filename: str,
) -> StreamingResponse:
    """A spreadsheet streamed as an attachment named ``filename.<format>``."""
    if isinstance(export, ExportFormat):
        export = Export(export, media_type(export))
    fmt = export.format
    return StreamingResponse(
        export_chunks(fmt, headers, rows, sheet_title),
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt.value}"'},
    )


class UnreadableSpreadsheet(Exception):
    """Not an XLSX or UTF-8 CSV file, an empty one, or one whose rows are ambiguous."""

    def __init__(self, reason: Text) -> None:
        self.reason = reason
        super().__init__(reason.render("en"))


def read_rows(
    content: bytes, filename: str | None, sheet: str | None = None
) -> tuple[list[str], Iterator[list[Any]]]:
    """The header row and an iterator over the data rows of an uploaded file.

    XLSX is recognised by its ZIP signature whatever the file is called; anything else
    must be UTF-8 CSV (with or without a byte-order mark). A workbook is read from its
    one sheet with data, or from ``sheet``; data on several sheets is refused rather than
    any of it left out.
    """
    if not content.strip():
        raise UnreadableSpreadsheet(Text("file_empty"))
    if content[:4] == b"PK\x03\x04":
        _check_archive(content)
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken archive
            raise UnreadableSpreadsheet(Text("file_not_xlsx")) from exc
        if not workbook.worksheets:
            raise UnreadableSpreadsheet(Text("workbook_no_sheet"))
        values = _guarded(_worksheet(workbook.worksheets, sheet).iter_rows(values_only=True))
        header = next(values, None)
        if header is None:
            raise UnreadableSpreadsheet(Text("sheet_empty"))
        return [str(cell).strip() if cell is not None else "" for cell in header], values
    if (filename or "").lower().endswith((".xls", ".ods", ".pdf", ".zip")):
        raise UnreadableSpreadsheet(Text("file_format_refused"))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableSpreadsheet(Text("file_not_utf8")) from exc
    if "\x00" in text:
        raise UnreadableSpreadsheet(Text("file_not_text"))
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = _guarded(reader)
    header = next(rows, None)
    if header is None:
        raise UnreadableSpreadsheet(Text("file_empty"))
    return [str(cell).strip() for cell in header], rows


def _has_data(worksheet: Any) -> bool:
    for row in _guarded(worksheet.iter_rows(values_only=True)):
        if any(cell is not None and str(cell).strip() for cell in row):
            return True
    return False


def _worksheet(worksheets: Sequence[Any], name: str | None) -> Any:
    """The sheet named ``name`` (exactly, else ignoring case and accents), or the one
    sheet that holds data."""
    names = ", ".join(shown(sheet.title) for sheet in worksheets)
    if name is not None:
        exact = [sheet for sheet in worksheets if sheet.title == name]
        folded = [sheet for sheet in worksheets if fold(sheet.title) == fold(name)]
        found = exact or folded
        if len(found) != 1:
            raise UnreadableSpreadsheet(Text("sheet_not_found", sheet=shown(name), sheets=names))
        return found[0]
    filled = [sheet for sheet in worksheets if _has_data(sheet)]
    if len(filled) > 1:
        raise UnreadableSpreadsheet(
            Text("sheets_ambiguous", sheets=", ".join(shown(sheet.title) for sheet in filled))
        )
    return filled[0] if filled else worksheets[0]


def _guarded(rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
    """Rows of a file, with a malformed one reported as unreadable rather than a crash
    (openpyxl reads sheets lazily, so a broken sheet only shows while iterating)."""
    try:
        for row in rows:
            yield list(row)
    except (
        csv.Error,
        ValueError,
        KeyError,
        TypeError,
        EOFError,
        OverflowError,
        ElementTree.ParseError,
        zipfile.BadZipFile,
        zlib.error,
    ) as exc:
        raise UnreadableSpreadsheet(Text("file_malformed")) from exc


# A real member list of 20,000 rows unpacks to a few megabytes; far more is a zip bomb.
MAX_UNPACKED_BYTES = 80 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200


def _check_archive(content: bytes) -> None:
    """Refuse an .xlsx whose parts would unpack to far more than any member list."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise UnreadableSpreadsheet(Text("file_not_xlsx")) from exc
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_COMPRESSION_RATIO:
        raise UnreadableSpreadsheet(Text("file_zip_bomb"))
