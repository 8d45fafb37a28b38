"""Reading the audit trail: who may see which rows, filters, and the chain walk.

Audit sits at the bottom of the stack (every app writes to it, accounts included), so it
knows neither roles nor centres. Who may read which rows is org's rule, named in settings
(`SH_AUDIT_READER_SCOPE`): a Q filter for the user, or None for "may not read".
"""

from functools import cache, wraps

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils.module_loading import import_string

from servicehall.lib.errors import Forbidden

from .chain import TABLE, VerifyResult, canonical_sql, verify_rows
from .models import AuditChainHead, AuditEvent


@cache
def _reader_scope():
    return import_string(settings.SH_AUDIT_READER_SCOPE)


def reader_filter(user) -> Q | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return _reader_scope()(user)


def can_read_audit(user) -> bool:
    return reader_filter(user) is not None


def audit_reader(view):
    """A page or API operation of the trail, for a user whose role may read it ("audit.read",
    asked through org's reader rule, since audit sits below the permission check); the rows
    are then those of the user's scope."""
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not can_read_audit(request.user):
            raise Forbidden("没有查看审计日志的权限")
        return view(request, *args, **kwargs)

    checked.required_action = "audit.read"
    return checked


def events_for_user(user):
    scope = reader_filter(user)
    return AuditEvent.objects.none() if scope is None else AuditEvent.objects.filter(scope)


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


def _chain_head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).first()
    return (head.last_seq, head.last_hash) if head else (0, "")


def _chained_rows(vendor: str, head_seq: int):
    """(id, seq, prev_hash, hash, canonical text) of the chained rows up to the head, in seq
    order, read in one streamed query."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT id, seq, prev_hash, hash, {canonical_sql(vendor)} FROM {TABLE} "
                       "WHERE seq IS NOT NULL AND seq <= %s ORDER BY seq", [head_seq])
        while chunk := cursor.fetchmany(2000):
            yield from chunk


def audit_chain_verify(anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain up to its head, then look for rows outside it.

    Rows are chained as they commit, so a committed row without a place in the chain was
    written past the trigger (switched off, or a forged INSERT). Writers may commit while the
    walk runs: a row past the head read at the start counts as slipped in only if it is also
    past the head read again after it was seen.
    """
    head_seq, head_hash = _chain_head()
    unchained = AuditEvent.objects.filter(seq__isnull=True)
    outside, first_outside = unchained.count(), unchained.order_by("id").values_list("id", flat=True).first()
    sealed = AuditEvent.objects.filter(seq__isnull=False)
    if anchor is not None:
        problem = _anchor_problem(anchor, head_seq, sealed)
        if problem:
            return VerifyResult(False, 0, outside, problem, None, anchor[0])
    result = verify_rows(_chained_rows(connection.vendor, head_seq), head_seq, head_hash, outside)
    if not result.ok:
        return result
    beyond = list(sealed.filter(seq__gt=head_seq).order_by("seq").values_list("id", "seq"))
    if beyond:
        latest_seq, _ = _chain_head()
        for event_id, seq in beyond:
            if seq > latest_seq:
                return VerifyResult(False, result.checked, outside,
                                    f"记录 #{event_id}（链序号 {seq}）超出链尾 {latest_seq}：系插入的记录",
                                    event_id, seq)
    if outside:
        return VerifyResult(False, result.checked, outside,
                            f"记录 #{first_outside} 等 {outside} 条不在审计链中：系绕过审计链写入的记录",
                            first_outside, None)
    return result


def _anchor_problem(anchor: tuple[int, str], head_seq: int, sealed) -> str:
    """The chain head remembered outside the database by the last verification must still be
    in the chain: a removed tail with a rewound head (or a TRUNCATE) is caught here."""
    seq, digest = anchor
    if seq > head_seq:
        return f"链尾记录被删除：上次校验时链已有 {seq} 条，现链尾仅为 {head_seq}"
    if seq and not sealed.filter(seq=seq, hash=digest).exists():
        return f"链序号 {seq} 的记录与上次校验时的锚点不符：其后的链被删除或改写"
    return ""
