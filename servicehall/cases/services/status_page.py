"""The citizen's status page (办件查询, no login): a case by its number and the last 4 digits of
the applicant's phone. Wrong lookups are counted in the database, so neither a phone tail
(10,000 choices) nor predictable case numbers can be walked through, across server processes."""

from datetime import datetime, timedelta

from django.utils import timezone

from servicehall.lib.errors import Forbidden, Invalid

from ..models import Case, StatusLookupFailure

# A lookup needs the case number and the last 4 digits of the applicant's phone. Wrong ones are
# counted, so that neither a phone tail (10,000 choices) nor case numbers (predictable) can be
# walked through: STATUS_CASE_FAILURES for one case, or STATUS_IP_FAILURES from one address,
# within STATUS_LOCK_MINUTES refuse further lookups until that many minutes have passed.
STATUS_CASE_FAILURES, STATUS_IP_FAILURES, STATUS_LOCK_MINUTES = 5, 20, 30


def case_status_lookup(*, number: str, phone_tail: str, ip: str | None, now: datetime | None = None) -> Case:
    now = now or timezone.now()
    recent = StatusLookupFailure.objects.filter(at__gte=now - timedelta(minutes=STATUS_LOCK_MINUTES))
    locked = Forbidden(f"查询失败次数过多，请{STATUS_LOCK_MINUTES}分钟后再试，或凭受理通知书到窗口查询")
    if ip and recent.filter(ip=ip).count() >= STATUS_IP_FAILURES:
        raise locked
    case = Case.objects.filter(number=(number or "").strip()).first()
    if case is not None and recent.filter(case=case).count() >= STATUS_CASE_FAILURES:
        raise locked
    if case is None or not phone_tail or not case.applicant_phone.endswith(phone_tail):
        StatusLookupFailure.objects.create(case=case, ip=ip, at=now)
        raise Invalid("办件编号与手机号码后4位不匹配，请核对受理通知书", field="number")
    return case


def status_failures_purge(now: datetime | None = None) -> int:
    """The background loop's step: failed lookups older than a day no longer count."""
    now = now or timezone.now()
    return StatusLookupFailure.objects.filter(at__lt=now - timedelta(days=1)).delete()[0]
