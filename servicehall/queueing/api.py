"""Queue calling over the API: the same services as the kiosk, terminal and display pages.

Kiosks authenticate with the centre's kiosk key (`X-Kiosk-Key`), hall displays with the
display key (`X-Display-Key` or `?key=`); staff with their session or bearer key. Booking
an appointment is public, like the booking page.
"""

from datetime import date, datetime, time
from typing import Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.security import APIKeyHeader

from servicehall.accounts.api_auth import permitted
from servicehall.accounts.idempotency import replay_or_run
from servicehall.accounts.permissions import require
from servicehall.accounts.services import api_key_user
from servicehall.api_schemas import CenterCode, Id, IdNumber, IsoDate, Phone, Prefix, errors, hot_json, text
from servicehall.audit.context import client_ip
from servicehall.db.caches import KIOSK_KEYS
from servicehall.lib.errors import Invalid, NotFound, error_body
from servicehall.lib.links import public_url
from servicehall.lib.masking import mask_identity, mask_phone
from servicehall.org.models import ServiceCenter, Window
from servicehall.org.selectors import center_for_user, get_visible

from . import selectors, services
from .models import Ticket, TicketCategory, TicketStatus
from .views_common import hall_response, operable_window, public_center, ticket_for_operator

router = Router(tags=["叫号"], auth=permitted("queue.operate"))

# Chinese names of this router's request fields, for validation messages (servicehall/api.py).
FIELD_LABELS = {"category": "业务类别", "green_channel": "绿色通道", "phone": "手机号码", "id_number": "身份证号码",
                       "appointment": "预约码", "window": "窗口", "ticket": "排队号", "paused": "暂停",
                       "holder": "证件号码", "slot": "预约时段", "key": "大屏密钥", "finish_current": "同时办结当前号"}


def kiosk_center(key: str) -> ServiceCenter | None:
    """The active centre whose kiosk key this is, or None."""
    if not key:
        return None
    return KIOSK_KEYS.get(key,
                          lambda: ServiceCenter.objects.filter(queue_settings__kiosk_key=key, is_active=True).first())


class KioskKey(APIKeyHeader):
    """A kiosk's key: it may issue tickets and check in bookings for its own centre only."""

    param_name = "X-Kiosk-Key"

    def authenticate(self, request, key):
        return kiosk_center(key)


KIOSK_OR_OPERATOR = [KioskKey(), *permitted("queue.operate")]
KIOSK_OR_READER = [KioskKey(), *permitted("center.view")]


def _center_for(request, code: str) -> ServiceCenter:
    """The centre a kiosk is bound to, or one the signed-in user may see."""
    if isinstance(request.auth, ServiceCenter):
        if request.auth.code != code:
            raise NotFound("未找到该中心")
        return request.auth
    return center_for_user(request.user, code)


class CategoryOut(Schema):
    prefix: str
    name: str
    daily_capacity: int
    slot_capacity: int
    avg_minutes: int
    windows: list[int]
    waiting: int


@router.get("/centers/{code}/categories", auth=KIOSK_OR_READER,
            response={200: list[CategoryOut], **errors(401, 403, 404)}, summary="中心的业务类别")
def categories_list(request, code: CenterCode):
    center = _center_for(request, code)
    waiting = selectors.waiting_counts(center, timezone.now())
    rows = TicketCategory.objects.filter(center=center, is_active=True).prefetch_related("window_links__window")
    return [{"prefix": c.prefix, "name": c.name, "daily_capacity": c.daily_capacity, "slot_capacity": c.slot_capacity,
             "avg_minutes": c.avg_minutes, "windows": sorted(link.window.number for link in c.window_links.all()),
             "waiting": waiting.get(c.pk, 0)} for c in rows]


class TicketIn(Schema):
    category: Prefix | None = None
    green_channel: bool = False
    phone: Phone | None = None
    id_number: IdNumber | None = None
    appointment: text(8, description="预约码") | None = None


class TicketOut(Schema):
    id: int
    number: str
    category: str
    category_name: str
    status: str
    status_label: str
    green_channel: bool
    appointment: bool
    waiting_ahead: int
    estimate_minutes: int
    window: int | None
    window_id: int | None
    phone: str
    issued_at: datetime
    called_at: datetime | None
    status_url: str


def ticket_out(ticket: Ticket) -> dict:
    """The ticket as the API shows it; its category and window are usually already loaded."""
    position = selectors.ticket_position(ticket, getattr(ticket, "ahead_at_issue", None))
    return {
        "id": ticket.pk, "number": ticket.number, "category": ticket.category.prefix,
        "category_name": ticket.category.name, "status": ticket.status,
        "status_label": TicketStatus(ticket.status).label, "green_channel": ticket.green_channel,
        "appointment": ticket.appointment_id is not None, **position,
        "window": ticket.window.number if ticket.window_id else None, "window_id": ticket.window_id,
        "phone": mask_phone(ticket.phone) if ticket.phone else "", "issued_at": ticket.issued_at,
        "called_at": ticket.called_at, "status_url": public_url(f"/queue/t/{ticket.token}/"),
    }


@router.post("/centers/{code}/tickets", auth=KIOSK_OR_OPERATOR,
             response={201: TicketOut, **errors(400, 401, 403, 404, 409)}, summary="取号（或以预约码签到）")
def tickets_issue(request, code: CenterCode, payload: TicketIn):
    center = _center_for(request, code)
    if not isinstance(request.auth, ServiceCenter):
        require(request.user, "queue.operate", center)

    def issue():
        if payload.appointment:
            ticket = services.appointment_check_in(center=center, code=payload.appointment)
        else:
            ticket = services.ticket_issue(center=center, prefix=payload.category or "",
                                           green_channel=payload.green_channel, phone=payload.phone or "",
                                           id_number=payload.id_number or "")
        return hot_json(ticket_out(ticket), status=201)

    return replay_or_run(request, "ticket.issue", issue)  # a kiosk's retry never prints a second number


@router.get("/tickets/{ticket_id}", auth=permitted("center.view"),
            response={200: TicketOut, **errors(400, 401, 403, 404)}, summary="排队号详情")
def ticket_detail(request, ticket_id: Id):
    return ticket_out(get_visible(Ticket, request.user, ticket_id, label="排队号"))


@router.post("/windows/{window_id}/call-next", response={200: TicketOut, 204: None, **errors(400, 401, 403, 404, 409)},
             summary="叫下一位（无人等候时204；?finish_current=true 先办结当前号）")
def window_call_next(request, window_id: Id, finish_current: bool = False):
    """The ticket being served is finished by the call; a called ticket that was never started
    answers 409 `window_busy` unless `?finish_current=true` (办结并叫下一位). A query parameter,
    so any body (none, JSON or a form) is accepted alike."""
    window = operable_window(request.user, window_id)
    ticket = services.ticket_call_next(actor=request.user, window=window, finish_current=finish_current)
    return HttpResponse(status=204) if ticket is None else hot_json(ticket_out(ticket))


class CallIn(Schema):
    ticket: Id


@router.post("/windows/{window_id}/call", response={200: TicketOut, **errors(400, 401, 403, 404, 409)},
             summary="指定呼叫")
def window_call(request, window_id: Id, payload: CallIn):
    window = operable_window(request.user, window_id)
    ticket = Ticket.objects.filter(pk=payload.ticket, center_id=window.center_id).first()
    if ticket is None:
        raise NotFound("未找到该号", field="ticket")
    return ticket_out(services.ticket_call(actor=request.user, window=window, ticket=ticket))


class PauseIn(Schema):
    paused: bool


class PauseOut(Schema):
    window: int
    paused: bool


@router.post("/windows/{window_id}/pause", response={200: PauseOut, **errors(400, 401, 403, 404)},
             summary="暂停或恢复窗口")
def window_pause(request, window_id: Id, payload: PauseIn):
    window = operable_window(request.user, window_id)
    state = services.window_pause(actor=request.user, window=window, paused=payload.paused)
    return {"window": window.number, "paused": state.paused}


class TransferIn(Schema):
    """One of the two. `window` is the window's id, as in the /windows list and the
    /windows/{id}/… paths (a ticket's `window` is the number the hall shows)."""
    category: Prefix | None = None
    window: Id | None = Field(None, description="窗口ID（窗口列表中的 id，不是窗口号）")


# Declared before the generic action route, which would otherwise take "transfer".
@router.post("/tickets/{ticket_id}/transfer", response={200: TicketOut, **errors(400, 401, 403, 404, 409)},
             summary="转移到其他业务类别或窗口（保留原排队位置）")
def ticket_transfer(request, ticket_id: Id, payload: TransferIn):
    ticket = ticket_for_operator(request.user, ticket_id)
    category = window = None
    if payload.category:
        category = TicketCategory.objects.filter(center_id=ticket.center_id,
                                                 prefix=payload.category.strip().upper()).first()
        if category is None:
            raise Invalid("业务类别：本中心没有该类别", field="category")
    if payload.window is not None:
        window = Window.objects.filter(center_id=ticket.center_id, pk=payload.window).first()
        if window is None:
            raise Invalid("窗口：本中心没有该窗口", field="window")
    return ticket_out(services.ticket_transfer(actor=request.user, ticket=ticket, category=category, window=window))


@router.post("/tickets/{ticket_id}/{action}", response={200: TicketOut, **errors(400, 401, 403, 404, 409)},
             summary="重呼 / 过号 / 开始办理 / 办结 / 取消")
def ticket_action(request, ticket_id: Id, action: Literal["recall", "skip", "start", "finish", "cancel"]):
    ticket = ticket_for_operator(request.user, ticket_id)
    return ticket_out(services.ticket_act(actor=request.user, ticket=ticket, action=action))


@router.get("/centers/{code}/hall", auth=None, response={200: dict, 304: None, **errors(401, 404)},
            summary="大屏状态（ETag；未变化时304）")
def hall(request, code: CenterCode, key: text(40) | None = None):
    """A display with its key (`X-Display-Key` or `?key=`), or a user of the centre: signed in,
    or with a bearer key (`Authorization: Bearer …`)."""
    key = request.headers.get("X-Display-Key") or key
    bearer = request.headers.get("Authorization", "")
    user = api_key_user(bearer[7:].strip()) if bearer.lower().startswith("bearer ") else None
    if key:
        center = ServiceCenter.objects.filter(code=code, queue_settings__display_key=key).first()
        if center is None:
            raise NotFound("未找到该中心")
    elif user is not None or request.user.is_authenticated:
        center = center_for_user(user or request.user, code)
    else:
        return Status(401, error_body("not_authenticated", "请先登录，或提供接口密钥或大屏密钥"))
    return hall_response(request, center)


# --- appointments (public) ---------------------------------------------------------------

class SlotOut(Schema):
    start: time
    end: time
    capacity: int
    booked: int
    available: int


@router.get("/centers/{code}/appointment-days", auth=None, response={200: list[date], **errors(404)},
            summary="可预约日期")
def appointment_days(request, code: CenterCode):
    return selectors.bookable_days(public_center(code), timezone.now())


@router.get("/centers/{code}/appointment-slots", auth=None, response={200: list[SlotOut], **errors(400, 404)},
            summary="某类别某日的预约时段")
def appointment_slots(request, code: CenterCode, category: Prefix, day: IsoDate):
    center = public_center(code)
    found = TicketCategory.objects.filter(center=center, prefix=category.strip().upper(), is_active=True).first()
    if found is None:
        raise Invalid("业务类别：本中心没有该类别", field="category")
    return selectors.slots_for(found, day, timezone.now())


class BookIn(Schema):
    category: Prefix
    day: IsoDate
    slot: text(8, description="时段的开始，如 09:00")
    holder: IdNumber
    phone: Phone


class AppointmentOut(Schema):
    code: str
    center: str
    category: str
    category_name: str
    day: date
    slot_start: time
    slot_end: time
    status: str
    status_label: str
    holder: str


def appointment_out(a) -> dict:
    return {"code": a.code, "center": a.center.code, "category": a.category.prefix, "category_name": a.category.name,
            "day": a.day, "slot_start": a.slot_start, "slot_end": a.slot_end, "status": a.status,
            "status_label": a.get_status_display(), "holder": mask_identity(a.holder)}


@router.post("/centers/{code}/appointments", auth=None, response={201: AppointmentOut, **errors(400, 404, 409)},
             summary="预约")
def appointment_book(request, code: CenterCode, payload: BookIn):
    appointment = services.appointment_book(center=public_center(code), prefix=payload.category, day=payload.day,
                                            slot_start=selectors.parse_slot(payload.slot), holder=payload.holder,
                                            phone=payload.phone, source_ip=client_ip(request))
    return Status(201, appointment_out(appointment))


class CancelIn(Schema):
    holder: IdNumber


@router.post("/appointments/{booking_code}/cancel", auth=None, response={200: AppointmentOut, **errors(400, 404, 409)},
             summary="取消预约（须提供预约时的证件号码）")
def appointment_cancel(request, booking_code: text(8), payload: CancelIn):
    return appointment_out(services.appointment_cancel(code=booking_code, holder=payload.holder))


class CheckInIn(Schema):
    code: text(8, description="预约码")


@router.post("/centers/{code}/appointments/check-in", auth=KIOSK_OR_OPERATOR,
             response={201: TicketOut, **errors(400, 401, 403, 404, 409)}, summary="预约签到（生成排队号）")
def appointment_check_in(request, code: CenterCode, payload: CheckInIn):
    center = _center_for(request, code)
    if not isinstance(request.auth, ServiceCenter):
        require(request.user, "queue.operate", center)
    return Status(201, ticket_out(services.appointment_check_in(center=center, code=payload.code)))
