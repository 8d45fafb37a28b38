"""A centre's queue set-up: its settings and device keys, business categories with the windows
that serve them, and window pauses. Every change is audited and raises the hall displays'
settings revision, so every display shows it at its next poll."""

import secrets
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from servicehall.audit.services import audit_record
from servicehall.lib.errors import Invalid, full_clean_or_invalid
from servicehall.org.models import ServiceCenter, Window

from ..models import CategoryWindow, QueueSettings, Ticket, TicketCategory, WindowState
from ..selectors import hall_changed


def settings_for(center: ServiceCenter) -> QueueSettings:
    """The centre's queue settings, created with the defaults on first use."""
    found = QueueSettings.objects.filter(center=center).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return QueueSettings.objects.create(center=center)
    except IntegrityError:
        return QueueSettings.objects.get(center=center)


def bump_revision(center_id: int) -> None:
    QueueSettings.objects.filter(center_id=center_id).update(revision=F("revision") + 1)
    hall_changed()


def hall_org_changed(sender, instance, **kwargs) -> None:
    """A window or centre was saved or removed (org's signals): the hall displays show window
    names and the centre's name, so their version must change too."""
    bump_revision(instance.pk if isinstance(instance, ServiceCenter) else instance.center_id)


@transaction.atomic
def window_pause(*, actor, window: Window, paused: bool, now: datetime | None = None) -> WindowState:
    """Pause or resume calling at a window (the hall display shows 暂停服务)."""
    now = now or timezone.now()
    settings_for(window.center)
    state, _ = WindowState.objects.select_for_update().get_or_create(window=window)
    if state.paused != paused:
        state.paused, state.since, state.by = paused, now, actor
        state.save()
        bump_revision(window.center_id)
        audit_record(actor=actor, action="window.pause" if paused else "window.resume", obj=window,
                     center=window.center, after={"paused": paused}, now=now)
    return state


@transaction.atomic
def queue_settings_update(*, actor, center: ServiceCenter, data: dict, now: datetime | None = None) -> QueueSettings:
    """Change a centre's queue rules and texts; `regenerate_keys` issues new device keys."""
    now = now or timezone.now()
    settings = settings_for(center)
    before = {f: getattr(settings, f) for f in data if f != "regenerate_keys"}
    for field, value in data.items():
        if field != "regenerate_keys":
            setattr(settings, field, value)
    if data.get("regenerate_keys"):
        settings.display_key, settings.kiosk_key = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    full_clean_or_invalid(settings, exclude=["center"])
    settings.revision += 1
    settings.save()
    after = {f: getattr(settings, f) for f in before}
    audit_record(actor=actor, action="queue_settings.update", obj=settings, center=center, before=before,
                 after=after | {"regenerate_keys": bool(data.get("regenerate_keys"))}, now=now)
    return settings


def _check_prefix_free_today(category: TicketCategory, today: date) -> None:
    """Numbers are unique per centre and day: a letter changes only on a day it has not been
    used, and a category that has issued today keeps its letter until tomorrow."""
    if category.pk and Ticket.objects.filter(category=category, day=today).exists():
        raise Invalid("字母：该类别今日已出号，请次日再修改字母", field="prefix")
    if Ticket.objects.filter(center_id=category.center_id, day=today, number__startswith=category.prefix).exists():
        raise Invalid(f"字母：今日已发出“{category.prefix}”开头的号码，请次日再使用该字母", field="prefix")


@transaction.atomic
def category_save(*, actor, center: ServiceCenter, data: dict, windows: dict[int, int],
                  category: TicketCategory | None = None, now: datetime | None = None) -> TicketCategory:
    """Create or change a business category and the windows that serve it (window id → priority)."""
    now = now or timezone.now()
    creating = category is None
    category = category or TicketCategory(center=center)
    before = {} if creating else {f: getattr(category, f) for f in data}
    for field, value in data.items():
        setattr(category, field, value.strip().upper() if field == "prefix" else value)
    full_clean_or_invalid(category, exclude=["center"])
    if TicketCategory.objects.filter(center=center, prefix=category.prefix).exclude(pk=category.pk).exists():
        raise Invalid(f"字母：本中心已有“{category.prefix}”类别", field="prefix")
    if creating or before.get("prefix", category.prefix) != category.prefix:
        _check_prefix_free_today(category, timezone.localdate(now))
    valid = set(Window.objects.filter(center=center, pk__in=list(windows)).values_list("pk", flat=True))
    if set(windows) - valid:
        raise Invalid("办理窗口：只能选择本中心的窗口", field="windows")
    category.save()
    CategoryWindow.objects.filter(category=category).exclude(window_id__in=valid).delete()
    for window_id, priority in windows.items():
        CategoryWindow.objects.update_or_create(category=category, window_id=window_id, defaults={"priority": priority})
    settings_for(center)
    bump_revision(center.pk)
    audit_record(actor=actor, action=f"ticket_category.{'create' if creating else 'update'}", obj=category,
                 center=center, before=before, after={f: getattr(category, f) for f in data} | {"windows": windows},
                 now=now)
    return category
