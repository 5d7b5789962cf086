"""A sheet's bytes into numbered lines of text, whatever it was saved as.

Plain text is decoded; a PDF's text layer is read with pypdf; a saved web page is parsed with
Beautiful Soup, its blocks (headings, paragraphs, list items, table rows) each a line of their
own and its navigation, scripts and footers left out. The line numbers are what a person
checking the draft finds in the same text: the file's lines, the PDF's lines on each page,
the page's lines as it reads.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.common.errors import CoachError

if TYPE_CHECKING:
    from bs4 import Tag


class SheetError(CoachError):
    """A sheet that cannot be read, or that is not an exercise sheet: one line, exit 2."""


@dataclass(frozen=True)
class SheetLine:
    number: int  # 1-based, within its page for a PDF
    text: str  # whitespace collapsed
    page: int | None = None  # PDFs only
    heading: bool = False  # marked as a heading by the page's markup (h1-h6, a table's name cell)
    bullet: bool = False  # a list item or a bulleted line

    def where(self) -> str:
        return f"page {self.page}, line {self.number}" if self.page is not None else f"line {self.number}"


def read_sheet(data: bytes, name: str) -> list[SheetLine]:
    """Lines of the sheet, sniffed by content first and by name second."""
    head = data[:2048].lstrip().lower()
    if data.startswith(b"%PDF-") or name.lower().endswith(".pdf"):
        return _pdf_lines(data, name)
    if head.startswith((b"<!doctype html", b"<html")) or b"<body" in head or name.lower().endswith((".html", ".htm")):
        return _html_lines(data)
    return _text_lines(_decode(data, name))


def read_sheet_file(path: Path) -> list[SheetLine]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SheetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SheetError(f"{path}: is a folder, not a sheet") from None
    except OSError as error:
        raise SheetError(f"{path}: cannot be read ({error.strerror or error})") from None
    return read_sheet(data, path.name)


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise SheetError(f"{name}: is not text, a PDF or a web page (a binary file)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


BULLET = re.compile(r"^\s*(?:[-*•●▪◦\u2013·]|\uf0b7)\s+")


def _text_lines(text: str, page: int | None = None) -> list[SheetLine]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        bullet = bool(BULLET.match(raw))
        cleaned = " ".join(BULLET.sub("", raw).split())
        heading = False
        if cleaned.startswith("#"):  # a Markdown heading
            cleaned, heading = cleaned.lstrip("#").strip(), True
        if cleaned:
            lines.append(SheetLine(number, cleaned, page, heading, bullet))
    return lines


def _pdf_lines(data: bytes, name: str) -> list[SheetLine]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SheetError(f"{name}: the PDF is locked with a password; open it and save an unlocked copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except SheetError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise SheetError(f"{name}: is not a readable PDF ({error})") from None
    lines = [line for index, text in enumerate(pages, start=1) for line in _text_lines(text, page=index)]
    if not any(re.search(r"[A-Za-zÀ-ÿ]{3}", line.text) for line in lines):
        raise SheetError(
            f"{name}: the PDF has no text layer (it is a scan, a picture of the pages); "
            "save or export the sheet as text, or run it through OCR first"
        )
    return lines


HIDDEN = ["script", "style", "noscript", "template", "nav", "footer", "aside", "form", "button", "svg", "head"]
BLOCKS = ["p", "div", "section", "article", "main", "header", "li", "dt", "dd", "blockquote", "pre", "tr", "ul", "ol"]
HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
DOSE_COLUMNS = re.compile(
    r"^(sets?|reps?|repetitions?|hold|frequency|how often|duration|time"
    r"|sätze|serien|wiederholungen|halten|häufigkeit)$",
    re.IGNORECASE,
)
NAME_COLUMNS = re.compile(r"^(exercise|name|übung|exercice|ejercicio)$", re.IGNORECASE)
MARK = "\u0001"  # starts a line that is a heading
BULLET_MARK = "\u0002"  # starts a line that is a list item


def _html_lines(data: bytes) -> list[SheetLine]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup.find_all(HIDDEN):
        tag.decompose()
    for table in soup.find_all("table"):
        _flatten_table(table)
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(HEADINGS):
        tag.insert_before("\n" + MARK)
        tag.insert_after("\n")
    for tag in soup.find_all(BLOCKS):
        if tag.name == "li":
            tag.insert_before("\n" + BULLET_MARK)
        else:
            tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text("")
    lines = []
    number = 0
    for raw in text.split("\n"):
        cleaned = " ".join(raw.split())
        heading = MARK in cleaned
        bullet = BULLET_MARK in cleaned
        cleaned = cleaned.replace(MARK, "").replace(BULLET_MARK, "").strip()
        if not cleaned:
            continue
        number += 1
        lines.append(SheetLine(number, cleaned, None, heading, bullet))
    return lines


def _flatten_table(table: Tag) -> None:
    """A table into lines: a dose table (Sets, Reps, Hold...) row by row as a card, any other cell by cell."""
    rows = table.find_all("tr")
    header = [cell.get_text(" ", strip=True) for cell in rows[0].find_all(["th", "td"])] if rows else []
    is_dose_table = sum(1 for label in header if DOSE_COLUMNS.match(label)) >= 2
    pieces: list[str] = []
    if is_dose_table:
        for row in rows[1:]:
            cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            name = ""
            words: list[str] = []
            doses: list[str] = []
            for label, cell in zip(header, cells, strict=False):
                if not cell or cell in {"-", "\u2013", "\u2014"}:
                    continue
                if NAME_COLUMNS.match(label):
                    name = cell
                elif DOSE_COLUMNS.match(label):
                    doses.append(f"{label} {cell}")
                else:
                    words.append(cell)
            if name:
                pieces.append(MARK + name)
            pieces.extend(words)
            if doses:
                pieces.append("  ".join(doses))
    else:
        pieces.extend(cell.get_text(" ", strip=True) for row in rows for cell in row.find_all(["td"]))
    table.replace_with("\n" + "\n".join(pieces) + "\n")
