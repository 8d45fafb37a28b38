"""The citizen's status page (办件查询, no login): a case by its number and the last 4 digits of
the applicant's phone. Wrong lookups are counted in the database, across server processes, and
slow down instead of locking anybody out: the rightful applicant who mistypes waits seconds,
while walking through 10,000 phone tails or predictable case numbers takes months."""

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from servicehall.lib.errors import Forbidden, Invalid

from ..models import Case, StatusLookupFailure

# Failures counted over STATUS_WINDOW_HOURS. After `after` of them, each further attempt waits
# STATUS_FIRST_WAIT_SECONDS, doubling with each failure, up to STATUS_LONGEST_WAIT_MINUTES:
# - one case from one address (the applicant's own typing, or one guesser);
# - one address, any case (walking through numbers);
# - one case, every address (a guesser with many addresses).
STATUS_WINDOW_HOURS = 24
STATUS_FIRST_WAIT_SECONDS = 15
STATUS_LONGEST_WAIT_MINUTES = 30
STATUS_AFTER = {"here": 3, "address": 20, "case": 30}


def _wait(times: list[datetime], after: int) -> datetime | None:
    """When the next attempt may come, given the failures' times (newest first)."""
    if len(times) < after:
        return None
    seconds = min(STATUS_FIRST_WAIT_SECONDS * 2 ** (len(times) - after), STATUS_LONGEST_WAIT_MINUTES * 60)
    return times[0] + timedelta(seconds=seconds)


def _latest(rows, n: int) -> list[datetime]:
    return list(rows.order_by("-at").values_list("at", flat=True)[:n])


def failures_wait(failures, subject: dict | None, ip: str | None, now: datetime) -> datetime | None:
    """Until when a lookup must wait, from the failed lookups in `failures` (a queryset of rows
    with `ip` and `at`): of `subject` (e.g. {"case": case}) from `ip`, of `subject` from
    anywhere, of anything from `ip`. Any public lookup by a secret uses it (the complaints'
    status page too)."""
    recent = failures.filter(at__gt=now - timedelta(hours=STATUS_WINDOW_HOURS))
    limits = [(recent.filter(ip=ip), STATUS_AFTER["address"])] if ip else []
    if subject is not None:
        limits += [(recent.filter(**subject, ip=ip), STATUS_AFTER["here"]),
                   (recent.filter(**subject), STATUS_AFTER["case"])]
    waits = [until for rows, after in limits for until in [_wait(_latest(rows, after + 12), after)]
             if until is not None and until > now]
    return max(waits) if waits else None


def lookup_wait(case: Case | None, ip: str | None, now: datetime) -> datetime | None:
    """Until when a lookup of `case` from `ip` must wait, or None."""
    return failures_wait(StatusLookupFailure.objects.all(), {"case": case} if case is not None else None, ip, now)


def wait_refusal(until: datetime, now: datetime, elsewhere: str) -> Forbidden:
    """The refusal while a lookup waits: how long, and where else to ask."""
    seconds = math.ceil((until - now).total_seconds())
    wait = f"{seconds}秒" if seconds < 120 else f"{math.ceil(seconds / 60)}分钟"
    return Forbidden(f"查询失败次数过多，请{wait}后再试，或{elsewhere}")


def case_status_lookup(*, number: str, phone_tail: str, ip: str | None, now: datetime | None = None) -> Case:
    """The case, or Invalid (no match) or Forbidden (wait). Lookups of one case take turns
    (its row locked), so parallel guesses cannot slip past the count."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(number=(number or "").strip()).first()
        until = lookup_wait(case, ip, now)
        if until is not None:
            raise wait_refusal(until, now, "凭受理通知书到窗口查询")
        if case is None or not phone_tail or not case.applicant_phone.endswith(phone_tail):
            StatusLookupFailure.objects.create(case=case, ip=ip, at=now)
            matched = False
        else:
            matched = True
    if not matched:
        raise Invalid("办件编号与手机号码后4位不匹配，请核对受理通知书", field="number")
    return case


def status_failures_purge(now: datetime | None = None) -> int:
    """The background loop's step: failed lookups older than the window no longer count."""
    now = now or timezone.now()
    return StatusLookupFailure.objects.filter(at__lt=now - timedelta(hours=STATUS_WINDOW_HOURS)).delete()[0]
