"""Reading the audit trail: who may see which rows, filters, and the chain walk.

The centre scope lives in org, which sits above audit; org registers it here at start-up
(`register_center_scope`) so that audit never imports upward.
"""

from collections.abc import Callable

from django.db.models import Q

from servicehall.accounts.models import Role

from .chain import VerifyResult, verify_rows
from .models import AuditChainHead, AuditEvent

_center_scope: Callable | None = None


def register_center_scope(scope: Callable) -> None:
    global _center_scope
    _center_scope = scope


AUDIT_READERS = {Role.AUDITADMIN, Role.BUREAU, Role.CITY_BUREAU, Role.MANAGER, Role.STAFF}


def can_read_audit(user) -> bool:
    return user.is_authenticated and user.role in AUDIT_READERS


def events_for_user(user):
    """The audit admin reads everything; the bureau and managers their centres' rows; window
    staff their own actions. Nobody else reads the trail."""
    if not can_read_audit(user):
        return AuditEvent.objects.none()
    if user.role == Role.AUDITADMIN:
        return AuditEvent.objects.all()
    centers = _center_scope(user) if _center_scope else []
    rows = AuditEvent.objects.filter(center_id__in=centers)
    if user.role == Role.STAFF:
        rows = rows.filter(actor_id=user.pk)
    return rows


def events_filtered(user, *, actor: str = "", center: str = "", action: str = "", day=None,
                    date_from=None, date_to=None, outcome: str = "", text: str = ""):
    rows = events_for_user(user)
    if actor:
        rows = rows.filter(actor_username=actor)
    if center:
        rows = rows.filter(center_code=center)
    if action:
        rows = rows.filter(Q(action=action) | Q(action__startswith=action.rstrip(".") + "."))
    if day:
        rows = rows.filter(created_at__date=day)
    if date_from:
        rows = rows.filter(created_at__date__gte=date_from)
    if date_to:
        rows = rows.filter(created_at__date__lte=date_to)
    if outcome:
        rows = rows.filter(outcome=outcome)
    if text:
        rows = rows.filter(Q(object_repr__icontains=text) | Q(object_id=text))
    return rows.order_by("-created_at", "-id")


def audit_chain_verify() -> VerifyResult:
    head = AuditChainHead.objects.filter(pk=1).first()
    rows = AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000)
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    return verify_rows(rows, head.last_seq if head else 0, head.last_hash if head else "", unsealed)
