"""Edits to the holiday table; each bumps the revision so every process reloads it."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from servicehall.accounts.permissions import require
from servicehall.audit.services import audit_record
from servicehall.db.caches import CALENDAR_REVISION
from servicehall.lib.errors import Conflict, Invalid, NotFound

from .models import FIRST_YEAR, LAST_YEAR, CalendarDay, CalendarRevision, CalendarYear
from .selectors import UNCOMMITTED, current_revision
from .signals import calendar_changed


def _bump(actor, year: int, now: datetime | None) -> None:
    updated = CalendarRevision.objects.filter(pk=1).update(revision=F("revision") + 1)
    if not updated:
        CalendarRevision.objects.get_or_create(pk=1, defaults={"revision": 1})
    revision = current_revision()
    UNCOMMITTED.add(revision)
    transaction.on_commit(lambda: UNCOMMITTED.discard(revision))
    transaction.on_commit(CALENDAR_REVISION.clear)
    calendar_changed.send(sender=CalendarRevision, actor=actor, year=year, now=now)


def _require_editor(actor) -> None:
    require(actor, "calendar.edit")


@transaction.atomic
def calendar_day_set(*, actor, day: date, is_workday: bool, name: str, now: datetime | None = None) -> CalendarDay:
    _require_editor(actor)
    if day is None:
        raise Invalid("请填写日期", field="date")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"日期应在{FIRST_YEAR}年至{LAST_YEAR}年之间", field="date")
    if is_workday and day.weekday() < 5:
        raise Invalid("调休上班日应为周六或周日；工作日本来就上班", field="is_workday")
    name = (name or "").strip()
    if not name:
        raise Invalid("请填写名称（如“春节”或“春节调休”）", field="name")
    record = CalendarDay.objects.filter(date=day).first()
    before = {"date": day, "is_workday": record.is_workday, "name": record.name} if record else None
    try:
        with transaction.atomic():
            record, _ = CalendarDay.objects.update_or_create(date=day,
                                                             defaults={"is_workday": is_workday, "name": name[:30]})
    except IntegrityError as exc:
        raise Conflict("该日期刚被他人修改，请刷新后重试", field="date") from exc
    _bump(actor, day.year, now)
    audit_record(actor=actor, action="calendar.day_set", obj=record, before=before,
                 after={"date": day, "is_workday": is_workday, "name": name}, now=now)
    return record


@transaction.atomic
def calendar_day_delete(*, actor, day: date, now: datetime | None = None) -> None:
    _require_editor(actor)
    record = CalendarDay.objects.filter(date=day).first()
    if record is None:
        raise NotFound("该日期没有节假日或调休记录", field="date")
    before = {"date": day, "is_workday": record.is_workday, "name": record.name}
    CalendarDay.objects.filter(pk=record.pk).delete()
    _bump(actor, day.year, now)
    audit_record(actor=actor, action="calendar.day_delete", object_type="workcalendar.calendarday",
                 object_id=str(day), object_repr=str(day), before=before, now=now)


@transaction.atomic
def calendar_year_confirm(*, actor, year: int, confirmed: bool, now: datetime | None = None) -> CalendarYear:
    """Mark a year's arrangement as published (or withdraw that mark)."""
    _require_editor(actor)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"年份应在{FIRST_YEAR}至{LAST_YEAR}之间", field="year")
    record, _ = CalendarYear.objects.get_or_create(year=year, defaults={"source": "手工录入"})
    before = {"confirmed": record.confirmed}
    CalendarYear.objects.filter(pk=record.pk).update(confirmed=confirmed)
    record.refresh_from_db()
    _bump(actor, year, now)
    audit_record(actor=actor, action="calendar.year_confirm", obj=record, before=before,
                 after={"confirmed": confirmed}, now=now)
    return record
