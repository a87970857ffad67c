"""Pydantic v2 models for every request and response; the OpenAPI document is built from them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from qode_common import patterns

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
DeviceToken = Annotated[str, StringConstraints(pattern=patterns.GUEST_DEVICE_TOKEN)]  # 16-128, not 16-256


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Placement = Literal["original", "end"]
# issue 16: nearly. "Nearly up at N ahead": a guest's phone alerts once N or fewer are ahead.
NEARLY_UP_DEFAULT = 3  # the column's default (m016_nearly_up)
NEARLY_UP_MAX = 20
NearlyUp = Annotated[int, Field(ge=0, le=NEARLY_UP_MAX)]
NEARLY_UP_HELP = ("The guest's phone alerts \"nearly up\" once this many or fewer people are ahead "
                  f"(0 to {NEARLY_UP_MAX}; 0 = only when called)")


class QueueCreate(Body):
    name: Name
    prefix: Prefix = ""
    # issue 15: model
    transfer_placement: Placement | None = Field(
        None, description="Where a transfer into this service places a ticket by default (default 'original')")
    priority_on_join: bool | None = Field(None, description="The join page may offer priority (default false)")
    # issue 16: nearly
    nearly_up: NearlyUp | None = Field(None, description=NEARLY_UP_HELP + " (default 3)")


BackIn = Annotated[int, Field(ge=1, le=480, description='The host\'s "back in N min" (1 to 480)')]


class QueuePatch(Body):
    name: Name | None = None
    active: bool | None = None
    is_paused: bool | None = None
    back_in_minutes: BackIn | None = Field(None, description="With is_paused true: when the line resumes")
    grace_period: Annotated[int, Field(ge=0, le=3600)] | None = Field(
        None, description="Seconds a called guest has before an automatic no-show; 0 turns it off")
    eta_margin: Annotated[float, Field(ge=0, le=2)] | None = Field(
        None, description="Safety margin z for ETAs (0 = none, 0.5 makes optimistic ETAs rarer)")
    # issue 15: model
    transfer_placement: Placement | None = Field(None, description="A transfer's default placement")
    priority_on_join: bool | None = Field(None, description="The join page may offer priority")
    sort_order: Annotated[int, Field(ge=0, le=10000)] | None = Field(
        None, description="Where the service stands in lists (kiosk, join page, TV), lowest first")
    # issue 16: nearly
    nearly_up: NearlyUp | None = Field(None, description=NEARLY_UP_HELP)


class JoinRequest(Body):
    # Optional only for kiosk and host credentials: a printed ticket has no device.
    device_token: DeviceToken | None = None
    priority: bool = Field(False, description="A priority ticket (goes first within its service, within the "
                           "anti-starvation bounds): a host or kiosk credential, or anonymously when the "
                           "service has priority_on_join; else 403 priority_not_allowed")


class CallNextRequest(Body):
    counter: Counter | None = None
    counter_id: Annotated[str, StringConstraints(pattern=patterns.UUID)] | None = Field(
        None, description="The counter by id instead of `counter` (issue 15); it must serve this service")


class RecallRequest(Body):
    counter: Counter | None = None


class EmptyBody(Body):
    pass


class LateRequest(Body):
    """issue 16: "I'm running late". `use`: which press this is (1 = the ticket's first); a press
    already applied answers the ticket unchanged, so a retried request never moves it twice."""

    use: int = Field(ge=1, le=10, description="The press meant: the ticket's `late_uses` + 1 (one at most "
                     "`late_uses` was applied already: the ticket is answered unchanged)")


class LateOffer(BaseModel):
    places: int = Field(description="Places a press moves the ticket back now: QODE_LATE_PLACES, or the "
                        "guests behind it when fewer (0: it is last)")
    most: int = Field(description="QODE_LATE_PLACES")
    uses: int = Field(description="Presses one ticket may make")
    uses_left: int


class CounterUpdate(Body):
    counter: Counter
    open: bool
    back_in_minutes: BackIn | None = Field(None, description="When closing: when the counter reopens")


# A kiosk's screen shows a button per service: 64 is beyond any venue, and keeps a device's event
# (its services' ids) well inside the hub's 4 KiB per event.
MAX_DEVICE_SERVICES = 64


class DeviceCreate(Body):
    name: Name
    kind: Literal["kiosk", "display"] = "kiosk"
    services: Annotated[list[Annotated[str, StringConstraints(pattern=patterns.UUID)]],
                        Field(min_length=1, max_length=MAX_DEVICE_SERVICES)] | None = Field(
        None, description="issue 15: the services it issues for or shows besides this one (its home), "
                          "in its order")


class DeviceUpdate(Body):
    """issue 15: a kiosk's or display's name and services, changed after it was registered (its
    token stays). Absent fields stay as they are."""

    name: Name | None = None
    services: Annotated[list[Annotated[str, StringConstraints(pattern=patterns.UUID)]],
                        Field(min_length=1, max_length=MAX_DEVICE_SERVICES)] | None = Field(
        None, description="The services it covers, in its order; its home service stays covered "
                          "(first, unless listed elsewhere)")


class DeviceVoice(Body):
    """issue 16: turn a display's spoken calls on or off."""

    on: StrictBool


PrinterState = Literal["ready", "paper_low", "paper_out", "offline", "error", "unchecked"]
PrintStatus = Literal["pending", "printed", "failed"]
Detail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
Uuid = Annotated[str, StringConstraints(pattern=patterns.UUID)]


class DeviceStatus(Body):
    printer: PrinterState
    detail: Detail | None = None
    error: Detail | None = Field(None, description="Why the kiosk stops (a setting that cannot work, "
                                 "e.g. its GPIO pin); absent: it runs")


class VoiceTestSent(BaseModel):
    device_id: str
    sent: int = Field(description="The display's open sockets the test went to (at least 1)")


class JobAck(Body):
    result: Literal["done", "failed"]
    error: Detail | None = None


class ReprintRequest(Body):
    device_id: Uuid | None = None


WALL_TIME = (r"^20(2[5-9]|[3-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3])"
             r":[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$")


def _wall_time(value: str) -> str:
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 time such as 2026-11-26T14:05:00+01:00") from None
    if moment.tzinfo is None:
        raise ValueError("must include a time zone offset or Z")
    if not 2025 <= moment.year <= 2100:
        raise ValueError("must be a year between 2025 and 2100")
    return value


class ClockSet(Body):
    now: Annotated[str, StringConstraints(pattern=WALL_TIME), AfterValidator(_wall_time)] = Field(
        description="The tablet's current time, ISO 8601 with an offset, e.g. 2026-11-26T14:05:00+01:00")


class QrRequest(Body):
    url: Annotated[str, StringConstraints(min_length=8, max_length=512, pattern=r"^https?://[!-~]+$")] = Field(
        description="A link to one of this box's pages (e.g. a host link with its #token)")


class QrOut(BaseModel):
    svg: str


class ClockState(BaseModel):
    trusted: bool
    source: Literal["system", "host"]
    reason: str | None


class ClockOut(BaseModel):
    applied: bool = Field(description="False when the box's own clock is synchronised and was kept")
    now: str
    service_day: str
    clock: ClockState


class ErrorDetail(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    message: str


class Error(BaseModel):
    error: ErrorDetail


class CounterOut(BaseModel):
    id: str = Field(description="The counter's id (issue 15: counters are box-wide desks)")
    name: str
    is_open: bool
    back_in_seconds: int | None = Field(description='A closed counter\'s "back in", counting down')
    services: list[str] = Field(description="The ids of the services it serves, in its order")
    rule: Literal["order", "weighted"] = Field(description="How it picks across its services")
    # No staff name here: a queue's state is public. GET /api/counters (hosts) carries it.


# issue 15: a service as tickets and calls name it
class ServiceRef(BaseModel):
    id: str
    name: str
    prefix: str


class CallOut(BaseModel):
    number: str
    counter: str | None
    seq: int = Field(description="The public feed's seq of this ticket's latest call or recall")
    service: ServiceRef | None = Field(None, description="The service it is called in (issue 15)")


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
    back_in_seconds: int | None = Field(
        description='While paused (or every counter closed) with a "back in" from the host: seconds left')
    grace_period: int | None = Field(description="Seconds before a called guest is a no-show; null = off")
    eta_margin: float
    counters: list[CounterOut]
    calls: list[CallOut] = Field(
        description="Today's called and serving numbers, newest call first (numbers only, never ticket ids)")
    created_at: str
    transfer_placement: Literal["original", "end"] = Field(description="A transfer's default placement")
    priority_on_join: bool = Field(description="The join page may offer priority")
    sort_order: int = Field(description="Where the service stands in lists, lowest first")
    nearly_up: int = Field(description=NEARLY_UP_HELP)  # issue 16: nearly


class QueueList(BaseModel):
    queues: list[QueueOut]


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
    print_status: PrintStatus | None = Field(
        None, description="For kiosk tickets: whether it reached paper (`failed`: the host may reprint)")
    print_job: PrintJobMessage | None = Field(
        None, description="Only in a kiosk's issuing answer: the job to print and acknowledge")
    # issue 15: services (docs/services.md, section 2)
    priority: bool = Field(False, description="A priority ticket (never shown on the public feed)")
    issued_queue_id: str | None = Field(None, description="The service that numbered it: its prefix makes "
                                        "display_number for ever, even after a transfer")
    service: ServiceRef | None = Field(None, description="The service the ticket is in now")
    transfers: int = Field(0, description="How many times it was transferred")
    counter_id: str | None = Field(None, description="The counter (by id) that called it")
    line_seq: int | None = Field(None, description="Host lists only: its place in its current line")
    line_rank: int | None = Field(None, description="Host lists only: its order among tickets sharing its "
                                  "line_seq (issue 16: one that moved back shares the one it stands behind)")
    late_uses: int = Field(0, description="issue 16: how many times it moved back with \"I'm running late\"")
    late: LateOffer | None = Field(None, description="issue 16, guest views: what \"I'm running late\" offers "
                                   "now (null: not waiting, or the feature is off)")
    transferred: Transferred | None = Field(
        None, description="Only in a guest's live update right after a transfer: where it came from and goes")
    # issue 16: nearly
    nearly_up: int = Field(NEARLY_UP_DEFAULT, description="Its service's setting: " + NEARLY_UP_HELP)
    # issue 16: grace (docs/services.md, section 14)
    returned_at: str | None = Field(None, description="When it came back after a no-show (once per ticket)")
    return_until: str | None = Field(None, description="A no-show that may still come back: until when "
                                     "(QODE_GRACE_MINUTES after its no-show)")


class TicketList(BaseModel):
    tickets: list[TicketOut]


# issue 15: calls and transfers (docs/services.md, section 5)
class Transferred(BaseModel):
    from_name: str
    to_name: str


class TransferRequest(Body):
    queue_id: Annotated[str, StringConstraints(pattern=patterns.UUID)] = Field(
        description="The service to send the ticket to")
    placement: Literal["original", "end"] | None = Field(
        None, description="By its original join (`original`) or at the end of the line (`end`); "
                          "default: the target's transfer_placement")


class PriorityRequest(Body):
    priority: bool


class EndedTicket(BaseModel):
    id: str
    position_number: int
    display_number: str
    status: Literal["COMPLETED", "NO_SHOW"] = Field(
        description="What it became: SERVING ends COMPLETED, CALLED ends NO_SHOW")


class CalledTicketOut(TicketOut):
    """A call or serve at a counter: the ticket, and what the counter held before (issue 14)."""

    ended: list[EndedTicket] = Field(
        description="The tickets this move ended at the counter, each with its own event, in the same "
                    "transaction (a counter holds one CALLED or SERVING ticket); empty when it was free")
    reason: str | None = Field(description="In a call's answer: why the rule picked it (overdue, streak, "
                               "priority, order, weighted, only; chosen: a host's \"call this one\"); a "
                               "serve's answer: the ticket's own reason (null)")


class PrintJobOut(BaseModel):
    id: str
    ticket_id: str
    device_id: str
    status: Literal["pending", "done", "failed", "expired"]
    reason: Literal["issue", "reprint"]
    error: str | None
    created_at: str
    expires_in_ms: int = Field(description="How long the job may still be printed; 0: never print it")


class PrintJobMessage(PrintJobOut):
    queue_name: str
    url: str = Field(description="The ticket's status URL, for the printed QR code")
    display_number: str
    people_ahead: int
    eta_seconds: int | None
    printed_at: str | None = Field(description="Local date and time, only when the box's clock is trusted")
    priority: bool = Field(False, description="A priority ticket: the paper says so (issue 15)")


class DeviceOut(BaseModel):
    id: str
    kind: Literal["kiosk", "display"]
    name: str
    printer: PrinterState | None = Field(description="The printer as last reported; null: none reported")
    printer_detail: str | None
    error: str | None = Field(description="Why the kiosk stopped, as it last said (e.g. a GPIO setting "
                              "that cannot work); null: it runs")
    status_at: str | None
    last_seen: str | None = Field(None, description="When its live socket last came or went, or it last "
                                  "reported its printer, whichever is later; null: never")
    connected: bool = Field(description="The device's live socket is open")
    voice: bool | None = Field(None, description="issue 16: a display says each call after its chime "
                               "(true) or only chimes (false); null for a kiosk")
    services: list[ServiceRef] = Field(default_factory=list, description=(
        "The services it covers, in its order (issue 15; in the list and a change's answer)"))


class PrintJobState(PrintJobOut):
    """A kiosk's own print job as its touch page follows it (issue 14)."""

    printer: PrinterState | None = Field(description="The kiosk's printer as it last reported it")
    printer_detail: str | None
    connected: bool = Field(description="The kiosk's device channel is open: it is there to print the job")


class DeviceRevoked(DeviceOut):
    revoked_at: str


class DeviceList(BaseModel):
    devices: list[DeviceOut]


class DeviceSelf(DeviceOut):
    queue_id: str
    queue_name: str
    services: list[ServiceRef] = Field(description="The services it covers, its home service first (issue 15)")


class DeviceCreated(BaseModel):
    id: str
    queue_id: str
    kind: Literal["kiosk", "display"]
    name: str
    token: str
    services: list[str] = Field(description="The ids of the services it covers, in its order (issue 15)")


class SyncStatus(BaseModel):
    enabled: bool
    acked_seq: int
    latest_seq: int
    pending: int = Field(description="Events the hub has not acknowledged yet")
    last_success: str | None
    last_error: str | None


class StorageState(BaseModel):
    ok: bool = Field(description="The database can take writes")
    reason: Literal["disk_full", "read_only", "io_error", "corrupt", "busy"] | None
    message: str | None = Field(description="What the host dashboard shows when the box cannot save")
    free_bytes: int | None = Field(None, description="Free space on the data folder's disk")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    db: Literal["ok", "error"]
    clock: ClockState
    public_url: str = Field(description="The base of the links and QR codes this box hands out")
    first_boot: bool = Field(description="No queue exists yet: the box still waits for its setup")
    sync: SyncStatus | None = Field(None, description="How far the hub has this box's event log")
    storage: StorageState = Field(description="Whether the box can save; 503 with the reason when not")



# issue 11: tls
class TlsInfo(BaseModel):
    staff_url: str = Field(description="The base address of staff pages (https through Caddy once set up)")
    public_url: str = Field(description="The guests' plain-http base address")
    ca_url: str | None = Field(description="Where the box's CA certificate is offered; null when there is none")
    staff_https: Literal["remote", "all", "off"] = Field(description="QODE_STAFF_HTTPS")


TicketOut.model_rebuild()  # it names PrintJobMessage, defined after it (and ServiceRef, Transferred)
TicketList.model_rebuild()
CalledTicketOut.model_rebuild()


# issue 11: flood — the host's bulk actions

WallTime = Annotated[str, StringConstraints(pattern=WALL_TIME), AfterValidator(_wall_time)]

class CancelWaiting(Body):
    source: Literal["web", "kiosk", "host"] | None = Field(
        None, description="Only tickets taken this way (e.g. web: from the join page); all when absent")
    joined_after: WallTime | None = Field(
        None, description="Only tickets taken after this time, ISO 8601 with an offset (2026-11-26T14:05:00Z)")


class BulkCancelOut(BaseModel):
    cancelled: int = Field(description="How many waiting tickets this request cancelled")
    queue: QueueOut


# issue 14: brand — the venue's look
Footer = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120), AfterValidator(_printable)]
AccentColour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Language = Literal["en", "de", "fr", "es", "tr", "pl", "uk", "ar"]


class VenuePatch(Body):
    name: Name | None = Field(None, description="The venue's name, 1-80 printable characters; null clears it")
    accent: AccentColour | None = Field(None, description="Accent colour #rrggbb; null: back to the default")
    footer: Footer | None = Field(None, description="A line at the foot of pages and tickets, up to 120 "
                                                    "printable characters (opening hours, 'Ask at the desk')")
    language: Language | None = Field(None, description="The language of the TV, the kiosk and printed tickets")


class VenueOut(BaseModel):
    name: str | None = Field(description="The venue's name; null until set")
    accent: str = Field(description="Accent colour #rrggbb (the default blue until set)")
    accent_text: str = Field(description="Text on the accent: #ffffff or #000000, whichever passes 4.5:1")
    accent_ink: str = Field(description="The accent as text on the page background, darkened to pass 4.5:1")
    footer: str | None
    language: Language | None = Field(description="The venue's default language; null: each screen's own")
    logo_url: str | None = Field(description="/venue/logo/<version>: immutable, a new upload gets a new URL")
    logo_type: str | None


# issue 15: model — services, counters, host tokens (docs/services.md, section 5)
Weight = Annotated[float, Field(gt=0, le=100, description=(
    "The service's weight at this counter (rule 'weighted': wait x weight), above 0 and at most 100"))]
Rule = Literal["order", "weighted"]


class CounterServiceIn(Body):
    queue_id: Uuid
    weight: Weight = 1.0


CounterServices = Annotated[list[CounterServiceIn], Field(min_length=1, max_length=256, description=(
    "The services in the counter's order (its strict order and tie-break); at most QODE_MAX_COUNTER_SERVICES"))]


class CounterCreate(Body):
    name: Counter
    rule: Rule = "order"
    services: CounterServices


class CounterPatch(Body):
    name: Counter | None = None
    rule: Rule | None = None
    services: CounterServices | None = None


class CounterOpen(Body):
    services: CounterServices | None = Field(None, description="This session's services (replaces the set); "
                                                               "absent: the counter's own")
    rule: Rule | None = None
    staff: Name | None = Field(None, description="Who serves at this counter, for the day's figures")


class CounterClose(Body):
    back_in_minutes: BackIn | None = Field(None, description="When the counter reopens")


class CounterServiceOut(BaseModel):
    queue_id: str
    name: str
    prefix: str
    weight: float


class CounterView(BaseModel):
    id: str
    name: str
    rule: Rule
    is_open: bool
    staff: str | None
    back_in_seconds: int | None = Field(description='A closed counter\'s "back in", counting down (this boot)')
    services: list[CounterServiceOut]
    created_at: str
    updated_at: str


class CounterList(BaseModel):
    counters: list[CounterView]


class ServiceOut(ServiceRef):  # ServiceRef: defined once above (issue 15: calls and model both need it)
    active: bool
    is_paused: bool
    waiting_count: int
    eta_seconds: int = Field(description="Estimated wait for a guest who joins now, in seconds")
    sort_order: int
    priority_on_join: bool = Field(description="The join page may offer priority for this service")
    transfer_placement: Literal["original", "end"] = Field(
        description="Where a transfer places a ticket by default")


class ServiceList(BaseModel):
    services: list[ServiceOut]


class HostTokenCreate(Body):
    name: Name = Field(description='What the token is for, e.g. "Reception tablet"')
    role: Literal["staff", "manager"]
    scope: Literal["services", "box"]
    services: Annotated[list[Uuid], Field(min_length=1, max_length=256)] | None = Field(
        None, description="With scope 'services': the services it covers (each once)")


class HostTokenOut(BaseModel):
    id: str
    name: str
    role: Literal["staff", "manager"]
    scope: Literal["services", "box"]
    services: list[str] = Field(description="The services it covers (empty for scope 'box': all of them)")
    created_at: str
    revoked_at: str | None


class HostTokenCreated(HostTokenOut):
    token: str = Field(description="The token: shown this once, stored hashed")
    host_url: str


class HostTokenList(BaseModel):
    tokens: list[HostTokenOut]


DeviceSelf.model_rebuild()  # it names ServiceRef, defined after it


# issue 15: stats — a day's figures (qode.stats; docs/services.md, section 8)
class StatsRow(BaseModel):
    service_day: str
    queue_id: str = Field(description="The service")
    service: str = Field(description="The service's name ('' if unknown)")
    counter_id: str | None = Field(description="The counter, from m013 on; null on older events, per service")
    counter: str | None = Field(description="The counter's name (its latest); null: no counter involved")
    staff: str | None = Field(description="The staff name given when the counter opened; null when none")
    served: int = Field(description="Completed tickets")
    priority_served: int = Field(description="Of those, priority tickets")
    no_shows: int
    transfers_out: int = Field(description="Tickets sent from this service to another")
    transfers_in: int = Field(description="Tickets received from another service")
    waited_count: int = Field(description="Waits measured: line entry (join or transfer in) to the first call")
    waited_seconds: float = Field(description="Their sum (monotonic within one boot, else wall clock)")
    waited_mean_seconds: float | None
    served_time_count: int = Field(description="Service times measured: serve (or call) to complete")
    served_time_seconds: float
    served_time_mean_seconds: float | None


class StatsOut(BaseModel):
    day: str = Field(description="The service day, YYYY-MM-DD")
    rows: list[StatsRow] = Field(description="Per service, counter and staff name (the CSV's rows)")
    services: list[StatsRow] = Field(description="Per service: the rows summed, counter and staff null")


# ---- issue 16: sms ---------------------------------------------------------------------------

class PhoneRequest(Body):
    phone: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="The guest's number: digits with an optional leading +, 6-15 digits; spaces, dashes, "
                    "dots and brackets are dropped (the pattern is the number's canonical form)",
        json_schema_extra={"pattern": r"^\+?[0-9]{6,15}$"})


class PhoneOut(BaseModel):
    available: bool = Field(description="The box has a modem: a number may be left")
    phone: str | None = Field(description="The number kept, masked (`•••• 4567`), or null")


class SmsStatus(BaseModel):
    enabled: bool
    state: Literal["ok", "unknown", "missing", "error", "sim", "no_signal"] | None = None
    present: bool | None = None
    sim: str | None = None
    signal: int | None = None
    sent_today: int | None = None
    failed_today: int | None = None
    pending: int | None = None
    capped_today: int | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    last_sent_at: str | None = None
    checked_at: str | None = None
    per_day: int | None = None
