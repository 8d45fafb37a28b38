"""Appointments (预约): booking a slot, cancelling with the holder's ID, check-in at the kiosk
(the booking becomes a ticket called before walk-ins of its slot) and no-shows, which block
further bookings for a while."""

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from servicehall.lib.errors import Conflict, Invalid, NotFound
from servicehall.lib.identity import IdentityError, validate_citizen_id, validate_credit_code
from servicehall.org.models import ServiceCenter

from ..models import (
    ACTIVE_APPOINTMENT,
    APPOINTMENT_TRANSITIONS,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Ticket,
    TicketCategory,
)
from ..selectors import booking_block_until, slots_for
from .setup import settings_for
from .tickets import active_category, clean_phone, create_ticket


def clean_holder(value: str | None, now: datetime) -> str:
    """A citizen ID or, for enterprises, a unified social credit code."""
    text = (value or "").strip().upper()
    if not text:
        raise Invalid("证件号码：请输入身份证号码或统一社会信用代码", field="holder")
    try:
        return validate_citizen_id(text, today=timezone.localdate(now))
    except IdentityError as id_error:
        try:
            return validate_credit_code(text)
        except IdentityError:
            raise Invalid(f"证件号码：{id_error.message}（企业请填写统一社会信用代码）", field="holder") from id_error


def _appointment_transition(appointment: Appointment, to: str, *, action: str, now: datetime) -> bool:
    if to not in APPOINTMENT_TRANSITIONS[AppointmentStatus(appointment.status)]:
        raise Conflict(f"该预约当前为“{appointment.get_status_display()}”，不能再{action}", code="invalid_state")
    updated = Appointment.objects.filter(pk=appointment.pk, status=appointment.status).update(status=to)
    if updated:
        AppointmentEvent.objects.create(appointment=appointment, action=action, from_status=appointment.status,
                                        to_status=to, at=now)
    return bool(updated)


def _new_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def _hoarding_refusal(category: TicketCategory, day: date, holder: str, phone: str, source_ip: str | None,
                      now: datetime) -> Conflict | None:
    """The first limit on bookings by one person or address that this booking would pass
    (settings SH_BOOKINGS_*), as the refusal to give; None when within every limit."""
    active = Appointment.objects.filter(ACTIVE_APPOINTMENT)
    per_day, per_category = settings.SH_BOOKINGS_PER_ID_PER_DAY, settings.SH_BOOKINGS_PER_ID_PER_CATEGORY
    per_phone, per_hour = settings.SH_BOOKINGS_PER_PHONE_PER_DAY, settings.SH_BOOKINGS_PER_ADDRESS_PER_HOUR
    if active.filter(holder=holder, day=day).count() >= per_day:
        return Conflict(f"证件号码：同一证件每天最多预约{per_day}次（各分中心合计），请取消其他预约后再约",
                        field="holder", code="booking_limit")
    if active.filter(holder=holder, category=category, day__gte=timezone.localdate(now)).count() >= per_category:
        return Conflict(f"证件号码：同一证件在“{category.name}”最多保留{per_category}个未到期的预约，"
                        "请办理或取消后再约", field="holder", code="booking_limit")
    if active.filter(phone=phone, day=day).count() >= per_phone:
        return Conflict(f"手机号码：同一手机号每天最多预约{per_phone}次", field="phone", code="booking_limit")
    if source_ip and Appointment.objects.filter(source_ip=source_ip,
                                                created_at__gt=now - timedelta(hours=1)).count() >= per_hour:
        return Conflict(f"同一网络地址每小时最多预约{per_hour}次，请稍后再试或到现场取号", code="booking_limit")
    return None


@transaction.atomic
def appointment_book(*, center: ServiceCenter, prefix: str, day: date, slot_start, holder: str, phone: str,
                     source_ip: str | None = None, now: datetime | None = None) -> Appointment:
    """Book one slot: on a working day within the centre's window, one per holder, centre and
    day, while the slot has room, not while repeated no-shows block the holder, and within the
    limits per ID number, phone and address that keep one person from booking a whole day."""
    now = now or timezone.now()
    category = active_category(center, prefix)
    holder = clean_holder(holder, now)
    if not phone:
        raise Invalid("手机号码：请填写，用于接收预约提醒", field="phone")
    phone = clean_phone(phone)
    blocked = booking_block_until(holder, center, now)
    if blocked is not None:
        raise Conflict(f"因多次预约未到，{blocked:%Y年%m月%d日}前不能预约，可现场取号办理", field="holder",
                       code="booking_blocked")
    TicketCategory.objects.select_for_update().filter(pk=category.pk).first()  # serialises bookings of a category
    slot = next((s for s in slots_for(category, day, now) if s["start"] == slot_start), None)
    if slot is None:
        raise Invalid("预约时段：该时段不可预约，请重新选择", field="slot")
    if slot["available"] <= 0:
        raise Conflict("预约时段：该时段已约满，请选择其他时段", field="slot", code="slot_full")
    if Appointment.objects.filter(ACTIVE_APPOINTMENT, center=center, holder=holder, day=day).exists():
        raise Conflict("同一证件每天在本中心只能预约一次", field="holder", code="already_booked")
    refusal = _hoarding_refusal(category, day, holder, phone, source_ip, now)
    if refusal is not None:
        raise refusal
    for _ in range(5):
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(center=center, category=category, day=day,
                                                         slot_start=slot["start"], slot_end=slot["end"],
                                                         code=_new_code(), holder=holder, phone=phone, created_at=now,
                                                         source_ip=source_ip)
            break
        except IntegrityError:
            if Appointment.objects.filter(ACTIVE_APPOINTMENT, center=center, holder=holder, day=day).exists():
                raise Conflict("同一证件每天在本中心只能预约一次", field="holder", code="already_booked") from None
    else:
        raise Conflict("预约繁忙，请重试")
    AppointmentEvent.objects.create(appointment=appointment, action="book", to_status=AppointmentStatus.BOOKED, at=now)
    return appointment


def _appointment_by_code(code: str, holder: str, now: datetime) -> Appointment:
    appointment = Appointment.objects.filter(code=(code or "").strip()).select_related("center", "category").first()
    if appointment is None or appointment.holder != clean_holder(holder, now):
        raise NotFound("预约码或证件号码不正确", field="code")
    return appointment


def slot_starts_at(appointment: Appointment) -> datetime:
    return datetime.combine(appointment.day, appointment.slot_start, tzinfo=timezone.get_current_timezone())


@transaction.atomic
def appointment_cancel(*, code: str, holder: str, now: datetime | None = None) -> Appointment:
    """Cancel a booking, with the holder's ID, at least the configured hours before the slot."""
    now = now or timezone.now()
    appointment = _appointment_by_code(code, holder, now)
    hours = settings_for(appointment.center).cancel_hours
    if appointment.status == AppointmentStatus.BOOKED and now > slot_starts_at(appointment) - timedelta(hours=hours):
        raise Conflict(f"距预约时段开始不足{hours}小时，不能取消", code="too_late")
    if not _appointment_transition(appointment, AppointmentStatus.CANCELLED, action="取消", now=now):
        raise Conflict("该预约状态刚发生变化，请刷新", code="invalid_state")
    appointment.refresh_from_db()
    return appointment


@transaction.atomic
def appointment_check_in(*, center: ServiceCenter, code: str, now: datetime | None = None) -> Ticket:
    """At the kiosk: the booking code becomes a ticket called before walk-ins of its slot."""
    now = now or timezone.now()
    code = (code or "").strip()
    if not code:
        raise Invalid("预约码：请输入8位预约码", field="code")
    appointment = Appointment.objects.filter(code=code, center=center).select_related("category").first()
    if appointment is None:
        raise NotFound("预约码：未找到本中心的这条预约，请核对", field="code")
    if appointment.day != timezone.localdate(now):
        raise Conflict(f"预约码：该预约是{appointment.day:%m月%d日}的，请当天来签到", field="code", code="wrong_day")
    slot_start = slot_starts_at(appointment)
    slot_end = datetime.combine(appointment.day, appointment.slot_end, tzinfo=slot_start.tzinfo)
    if now >= slot_end:
        raise Conflict("预约码：预约时段已过，请现场取号", field="code", code="too_late")
    if not _appointment_transition(appointment, AppointmentStatus.CHECKED_IN, action="签到", now=now):
        raise Conflict("预约码：该预约已签到或已取消", field="code", code="invalid_state")
    return create_ticket(center=center, category=appointment.category, now=now, phone=appointment.phone,
                          appointment=appointment, slot_start=slot_start, slot_end=slot_end)


@transaction.atomic
def appointments_mark_no_show(*, now: datetime | None = None) -> int:
    """Bookings whose slot ended without a check-in become no-shows (they count towards a block)."""
    now = now or timezone.now()
    today, clock = timezone.localdate(now), timezone.localtime(now).time()
    late = Appointment.objects.filter(Q(day__lt=today) | Q(day=today, slot_end__lte=clock),
                                      status=AppointmentStatus.BOOKED)
    return sum(_appointment_transition(a, AppointmentStatus.NO_SHOW, action="爽约", now=now) for a in late)
