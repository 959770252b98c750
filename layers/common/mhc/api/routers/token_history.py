"""The owner's token-history export: upload (its own route, with its own body limit), past
imports, the capture audit and private/spy shows.

The upload is the one route that takes a file (not JSON: the input guard leaves its body to
it). Its limit is `MAX_UPLOAD_BYTES` as sent, enforced by the input guard like every route's (the
browser gzips the CSV first, so a 100,000-row export of ~6 MB travels as ~1 MB), and
`MAX_EXPORT_BYTES` once decompressed: in AWS a Lambda's request payload is at most 6 MB, base64
encoding included, so a bigger body could never arrive whole. Bigger exports: `mhc import
token-history FILE` has no limit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mhc.api.deps import Context, Db, Owner
from mhc.api.errors import error_response
from mhc.api.input_guard import MAX_BODY_EXTRA, MAX_BODY_HINT_EXTRA
from mhc.api.routes import RouteTable
from mhc.services import token_history
from mhc.services.token_history import (
    CaptureAuditView,
    ImportReport,
    ImportSummary,
    ShowView,
)

routes = RouteTable(prefix="/owner", tags=["token history"])

#: The most an upload may send (gzip or plain CSV).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
_ACCEPTED_TYPES = {
    "text/csv",
    "text/plain",
    "application/csv",
    "application/gzip",
    "application/x-gzip",
    "application/octet-stream",
    "application/vnd.ms-excel",  # what some systems call a .csv file
}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            f"The export as downloaded (CSV, UTF-8), or gzip-compressed; at most "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MiB as sent and "
            f"{token_history.MAX_EXPORT_BYTES // (1024 * 1024)} MiB uncompressed."
        ),
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/gzip": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    MAX_BODY_EXTRA: MAX_UPLOAD_BYTES,
    MAX_BODY_HINT_EXTRA: "gzip the export, or import it with `mhc import token-history FILE`",
}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    for status, description in (
        (413, f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB"),
        (415, "not CSV or gzip"),
    )
}


@routes.post(
    "/token-history",
    response_model=ImportReport,
    responses=_UPLOAD_ERRORS,
    openapi_extra=_UPLOAD_BODY,
)
async def import_token_history(
    request: Request,
    db: Db,
    context: Context,
    owner: Owner,
    file_name: Annotated[str | None, Query(max_length=255)] = None,
    accept_problems: bool = False,
) -> Any:
    """Import the token-history export (idempotent). A file with bad rows is refused (422,
    `token_history_refused`, every bad line in `details.problems`) and nothing is written,
    unless `accept_problems=true`: then the good rows are imported and the lines left out
    are recorded. Tips already captured live are linked, never counted twice."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type not in _ACCEPTED_TYPES:
        raise HTTPException(415, "send the export as text/csv or application/gzip")
    body = await request.body()
    timezone = context.settings().mhc_token_history_timezone
    report = await run_in_threadpool(
        token_history.import_export,
        db,
        token_history.upload_lines(body),
        owner=owner,
        timezone=timezone,
        file_name=file_name,
        accept_problems=accept_problems,
        clock=context.clock,
    )
    if not report.imported:
        return _refused(report)
    return report


def _refused(report: ImportReport) -> JSONResponse:
    return error_response(
        422,
        "token_history_refused",
        f"{report.problem_count:,} bad line(s): nothing was imported. Fix them, or import the "
        f"other {report.good_rows:,} rows by accepting the problems.",
        report.model_dump(mode="json"),
    )


@routes.get("/token-history/imports", response_model=list[ImportSummary])
def list_imports(db: Db, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[ImportSummary]:
    """Past imports, newest first, with what each added and linked."""
    return token_history.recent_imports(db, limit=limit)


@routes.get("/capture-audit", response_model=CaptureAuditView)
def capture_audit(db: Db, owner: Owner) -> CaptureAuditView:
    """For the time live capture ran: the share of the export's tips the Events API also
    delivered, and every missed tip (explained when inside a recorded gap)."""
    return token_history.audit_capture(db, owner=owner)


@routes.get("/shows", response_model=list[ShowView])
def shows(
    db: Db,
    owner: Owner,
    person_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ShowView]:
    """Private and spy shows from the imported export (per-minute rows grouped), newest first."""
    return token_history.shows(db, owner=owner, person_id=person_id, limit=limit)
