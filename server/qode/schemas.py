"""Pydantic v2 models for every request and response; the OpenAPI document is built from them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

STATUSES = ("WAITING", "CALLED", "SERVING", "COMPLETED", "NO_SHOW", "CANCELLED")
ACTIVE_STATUSES = ("WAITING", "CALLED", "SERVING")
Status = Literal["WAITING", "CALLED", "SERVING", "COMPLETED", "NO_SHOW", "CANCELLED"]


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must not contain control or invisible formatting characters")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(_printable),
]
Counter = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
    AfterValidator(_printable),
]
Prefix = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{0,4}$")]
DeviceToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class QueueCreate(Body):
    name: Name
    prefix: Prefix = ""


class QueuePatch(Body):
    name: Name | None = None
    active: bool | None = None
    is_paused: bool | None = None


class JoinRequest(Body):
    # Optional only for kiosk and host credentials: a printed ticket has no device.
    device_token: DeviceToken | None = None


class CallNextRequest(Body):
    counter: Counter | None = None


class RecallRequest(Body):
    counter: Counter | None = None


class EmptyBody(Body):
    pass


class CounterUpdate(Body):
    counter: Counter
    open: bool


class DeviceCreate(Body):
    name: Name
    kind: Literal["kiosk", "display"] = "kiosk"


class ErrorDetail(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    message: str


class Error(BaseModel):
    error: ErrorDetail


class CounterOut(BaseModel):
    name: str
    is_open: bool


class QueueOut(BaseModel):
    id: str
    name: str
    prefix: str
    active: bool
    is_paused: bool
    service_day: str
    current_position: int
    last_number_issued: int
    now_serving: str | None
    waiting_count: int
    avg_wait_time: int
    eta_seconds: int = Field(description="Estimated wait for a guest who joins now, in seconds")
    counters: list[CounterOut]
    created_at: str


class QueueCreated(QueueOut):
    host_token: str
    host_url: str


class HostToken(BaseModel):
    host_token: str
    host_url: str


class TicketOut(BaseModel):
    id: str
    queue_id: str
    position_number: int
    display_number: str
    status: Status
    source: Literal["web", "kiosk", "host"]
    counter: str | None
    reason: str | None
    people_ahead: int
    eta_seconds: int | None = Field(description="Seconds until called; 0 once called, null once ended")
    now_serving: str | None
    service_day: str
    created_at: str
    called_at: str | None
    serving_at: str | None
    completed_at: str | None


class TicketList(BaseModel):
    tickets: list[TicketOut]


class DeviceCreated(BaseModel):
    id: str
    queue_id: str
    kind: Literal["kiosk", "display"]
    name: str
    token: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    db: Literal["ok", "error"]
