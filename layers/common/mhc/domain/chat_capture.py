"""Captured chat: what the owner saved from their own browser, as chat responses to import.

Plus has no public chat API, so the owner can bring history in by hand: a HAR 1.2 export
(DevTools → "Save all as HAR"; bodies as text or base64 per `content.encoding`), a saved JSON
response, a JSON list of them, or JSON lines (one response per line). A response counts as
chat when its URL matches a chat route of the field map, or when the map finds its items
(for a HAR entry at some other URL: items of which at least one reads as a message, so the
export's unrelated API calls stay out). The room of a message comes from the map, else from
that URL (`read_chat_page` does that). A first visit's HTML is read through its `data-page`.

Pure parsing: the caller reads the file; nothing here touches the disk.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from mhc.domain.chat_import import DEFAULT_MAP, FieldMap, chat_items, page_url, read_chat_page
from mhc.domain.inertia import page_from_html

CaptureFormat = Literal["har", "json", "json-list", "json-lines"]


class CaptureError(ValueError):
    """The file cannot be imported; the message says what is wrong with it."""


@dataclass(frozen=True)
class CapturedResponse:
    """One chat response: the URL it answered (None when the file does not say) and its JSON
    (an Inertia page object or plain JSON). `where` locates it in the file for messages."""

    url: str | None
    body: Any = field(repr=False)
    where: str


@dataclass(frozen=True)
class Capture:
    format: CaptureFormat
    responses: tuple[CapturedResponse, ...]
    #: Entries that are not chat responses (other requests of a HAR, non-2xx answers...).
    skipped: int
    #: Chat entries whose body the export left out (DevTools omits some bodies).
    without_body: int
    #: Entries that could not be read (bad base64, not JSON), by location: shown, not fatal.
    problems: tuple[str, ...]


def read_capture(data: bytes | str, field_map: FieldMap = DEFAULT_MAP) -> Capture:
    """The chat responses in a captured file; CaptureError when there is nothing to import."""
    text = _text(data)
    if not text.strip():
        raise CaptureError("the file is empty")
    try:
        document = json.loads(text)
    except ValueError as exc:
        capture = _json_lines(text, exc, field_map)
    else:
        if isinstance(document, dict) and "log" in document:
            capture = _har(document, field_map)
        elif (
            isinstance(document, list)
            and document
            and all(_has_items(d, field_map) for d in document)
        ):
            capture = _saved(document, "json-list", "item", field_map)
        else:
            capture = _saved([document], "json", "file", field_map)
    if not capture.responses:
        hint = (
            f"{capture.skipped} entries read, {capture.without_body} chat entries without a body"
            if capture.format == "har"
            else "the field map finds no list of messages in it"
        )
        raise CaptureError(
            f"no chat responses found ({hint}); if Plus's chat is at another URL or shape, "
            "add it to MHC_STATBATE_PLUS_FIELD_MAP ('routes', 'items')"
        )
    return capture


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaptureError("the file is not UTF-8 text (expected a HAR or JSON file)") from None


def _has_items(body: Any, field_map: FieldMap) -> bool:
    return isinstance(body, dict | list) and chat_items(body, field_map) is not None


def _saved(documents: list[Any], fmt: CaptureFormat, label: str, field_map: FieldMap) -> Capture:
    responses: list[CapturedResponse] = []
    skipped = 0
    for number, body in enumerate(documents, 1):
        where = label if fmt == "json" else f"{label} {number}"
        url = page_url(body, None)
        if field_map.match_route(url) is not None or _has_items(body, field_map):
            responses.append(CapturedResponse(url, body, where))
        else:
            skipped += 1
    return Capture(fmt, tuple(responses), skipped, 0, ())


def _json_lines(text: str, first_error: ValueError, field_map: FieldMap) -> Capture:
    documents: list[Any] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            documents.append(json.loads(line))
        except ValueError:
            if not documents:
                raise CaptureError(
                    f"the file is not JSON, JSON lines or a HAR export ({first_error})"
                ) from None
            raise CaptureError(f"line {number} is not JSON (nothing was imported)") from None
    return _saved(documents, "json-lines", "line", field_map)


def _har(document: dict[str, Any], field_map: FieldMap) -> Capture:
    log = document.get("log")
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise CaptureError("not a HAR export: it has no log.entries list")
    responses: list[CapturedResponse] = []
    problems: list[str] = []
    skipped = without_body = 0
    for where, url, status, content in _entries(entries):
        routed = field_map.match_route(url) is not None
        if not 200 <= status < 300:
            skipped += 1
            continue
        if not isinstance(content.get("text"), str) or not content["text"]:
            if routed:
                without_body += 1
            else:
                skipped += 1
            continue
        body = _body(content, where, problems)
        if body is not None and (routed or _reads_as_chat(body, url, field_map)):
            responses.append(CapturedResponse(url, body, where))
        else:
            skipped += 1
    return Capture("har", tuple(responses), skipped, without_body, tuple(problems))


def _entries(entries: list[Any]) -> Iterator[tuple[str, str | None, int, dict[str, Any]]]:
    for number, entry in enumerate(entries, 1):
        where = f"entry {number}"
        request = entry.get("request") if isinstance(entry, dict) else None
        response = entry.get("response") if isinstance(entry, dict) else None
        url = request.get("url") if isinstance(request, dict) else None
        status = response.get("status") if isinstance(response, dict) else None
        content = response.get("content") if isinstance(response, dict) else None
        if not isinstance(status, int) or isinstance(status, bool):
            status = 0
        yield (
            where,
            url if isinstance(url, str) else None,
            status,
            content if isinstance(content, dict) else {},
        )


def _body(content: dict[str, Any], where: str, problems: list[str]) -> Any:
    """The entry's JSON, or the page object of an HTML first visit; None for anything else."""
    text: str = content["text"]
    if content.get("encoding") == "base64":
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8-sig")
        except (binascii.Error, ValueError):
            problems.append(f"{where}: the base64 body cannot be decoded as UTF-8 text")
            return None
    mime = str(content.get("mimeType") or "").lower()
    stripped = text.lstrip()
    if "html" in mime or stripped.startswith("<"):
        return page_from_html(text)
    if "json" not in mime and not stripped.startswith(("{", "[")):
        return None  # scripts, styles, images...
    try:
        return json.loads(text)
    except ValueError:
        problems.append(f"{where}: the body is not JSON")
        return None


def _reads_as_chat(body: Any, url: str | None, field_map: FieldMap) -> bool:
    """Items of which at least one reads as a message: how a HAR entry at a URL that is not
    a chat route still counts (other API calls have lists too, of tips or rooms)."""
    return _has_items(body, field_map) and bool(
        read_chat_page(body, url=url, field_map=field_map).messages
    )
