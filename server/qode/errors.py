"""The QodeError family and the one handler that renders every API error.

Shape (pinned by a test): {"error": {"code": "snake_case", "message": "human text"}}.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .db import StorageFault, storage_fault

log = logging.getLogger(__name__)


class QodeError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.headers = headers or {}
        self.extra: dict = {}  # more fields for the error object, e.g. where a sync resumes


class UnsupportedMediaType(QodeError):
    status = 415
    code = "unsupported_media_type"


class Invalid(QodeError):
    status = 422
    code = "invalid"


class Unauthorized(QodeError):
    status = 401
    code = "unauthorized"


class Forbidden(QodeError):
    status = 403
    code = "forbidden"


class NotFound(QodeError):
    status = 404
    code = "not_found"


class RateLimited(QodeError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int):
        super().__init__("Too many requests. Wait a moment and try again.",
                         headers={"Retry-After": str(retry_after)})


class Conflict(QodeError):
    status = 409
    code = "conflict"


STORAGE_MESSAGES = {
    "disk_full": "The box cannot save: its disk is full. Nothing was changed; try again once space is freed.",
    "read_only": "The box cannot save: its database file is read-only. Nothing was changed.",
    "io_error": "The box cannot save: the disk reports an error. Nothing was changed.",
    "corrupt": "The box cannot save: its database file is damaged. Nothing was changed.",
    "busy": "The box's database is busy. Nothing was changed; try again in a moment.",
}


def storage_error(reason: str) -> tuple[int, str, str, dict]:
    """The answer to a storage fault: 503, `storage_<reason>`, a message and `Retry-After`."""
    message = STORAGE_MESSAGES.get(reason, STORAGE_MESSAGES["io_error"])
    return 503, f"storage_{reason}", message, {"Retry-After": "2" if reason == "busy" else "30"}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict | None = None,
                   extra: dict | None = None) -> Response:
    body = error_body(code, message)
    body["error"].update(extra or {})
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("body_too_large", "The request body is larger than this server accepts."),
    415: ("unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."),
    429: ("rate_limited", "Too many requests. Wait a moment and try again."),
    431: ("headers_too_large", "The request headers are larger than this server accepts."),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(QodeError)
    def _qode_error(err: QodeError):
        return error_response(err.status, err.code, err.message, err.headers, err.extra)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        code, message = _HTTP_CODES.get(status, ("http_error", err.description or "HTTP error"))
        headers = {}
        if status == 405 and err.get_response().headers.get("Allow"):
            headers["Allow"] = err.get_response().headers["Allow"]
        if status == 429:
            limit = getattr(err, "limit", None)
            expiry = limit.limit.get_expiry() if limit is not None else 60
            headers["Retry-After"] = str(int(expiry))
        return error_response(status, code, message, headers)

    @app.errorhandler(StorageFault)
    def _storage(err: StorageFault):
        log.warning("storage fault on %s: %s", _rule(), err)
        return error_response(*storage_error(err.reason))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        reason = storage_fault(err)  # e.g. a read that hit an I/O error
        if reason is not None:
            log.warning("storage fault on %s: %s", _rule(), err)
            return error_response(*storage_error(reason))
        # Only a bug lands here; the client still gets the contract's shape.
        log.exception("unhandled error on %s", _rule())
        return error_response(500, "internal_error", "Something went wrong on the server.")


def _rule() -> str:
    # The route pattern, not the path: ticket ids in paths are bearer capabilities.
    return f"{request.method} {request.url_rule.rule if request.url_rule else '(no route)'}"
class TooManyTickets(QodeError):
    """A flood cap refused a join (issue 11): the guests of this address or device hold enough."""

    status = 429
    code = "too_many_tickets"
