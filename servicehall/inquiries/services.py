"""Writes to the first-inquiry log (首问责任制).

Each write is atomic: a compare-and-set on the status (and on the owner, so two people
handing the same inquiry over at once cannot both win), one `InquiryEvent` and one audit row.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from servicehall.accounts.permissions import require
from servicehall.audit.services import audit_record
from servicehall.catalog.models import ServiceItem
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound, full_clean_or_invalid
from servicehall.lib.identity import IdentityError, validate_mobile
from servicehall.lib.masking import mask_name, mask_phone
from servicehall.org.models import ServiceCenter, Window
from servicehall.org.selectors import visible_center_ids

from .models import TRANSITIONS, VERBS, FirstInquiry, InquiryEvent, InquiryStatus
from .selectors import can_handle, handover_candidates

BACKDATE_LIMIT = timedelta(days=30)  # a question may be logged late, but not from last season
TEXT_LIMIT = 2000
NOTE_LIMIT = 1000


def _summary(inquiry: FirstInquiry) -> dict:
    """What the audit row keeps: personal data masked (the trail shows that, not what)."""
    return {
        "status": inquiry.status, "owner_id": inquiry.owner_id, "window_id": inquiry.window_id,
        "item_id": inquiry.item_id, "topic": inquiry.topic, "asked_at": inquiry.asked_at,
        "asker_name": mask_name(inquiry.asker_name),
        "asker_phone": mask_phone(inquiry.asker_phone) if inquiry.asker_phone else "",
    }


def _text(value: str, *, field: str, label: str, limit: int, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"请填写{label}", field=field)
    if len(text) > limit:
        raise Invalid(f"{label}不能超过{limit}字（现为{len(text)}字）", field=field)
    return text


def _require_handler(actor, inquiry: FirstInquiry) -> None:
    if inquiry.center_id not in visible_center_ids(actor):
        raise NotFound("未找到该首问记录")
    if not can_handle(actor, inquiry):
        raise Forbidden("只有首问责任人或本中心负责人可以处理该首问")


@transaction.atomic
def inquiry_log(
    *, actor, center: ServiceCenter, topic: str, window: Window | None = None, asker_name: str = "",
    asker_phone: str = "", asker_description: str = "", detail: str = "", item: ServiceItem | None = None,
    asked_at: datetime | None = None, now: datetime | None = None,
) -> FirstInquiry:
    """Record a question taken at a desk or window; the actor becomes its first owner."""
    now = now or timezone.now()
    if center.pk not in visible_center_ids(actor):
        raise NotFound("未找到该中心", field="center")
    require(actor, "inquiry.log", center)
    if window is not None and (window.center_id != center.pk or not window.is_active):
        raise Invalid("接待窗口：请选择本中心在用的窗口", field="window")
    if item is not None and not item.is_public:
        raise Invalid("相关事项：未找到该事项", field="item_name")
    asked_at = asked_at or now
    if asked_at > now + timedelta(minutes=1):
        raise Invalid("咨询时间不能晚于当前时间", field="asked_at")
    if asked_at < now - BACKDATE_LIMIT:
        raise Invalid(f"咨询时间：只能补登{BACKDATE_LIMIT.days}天内的咨询", field="asked_at")
    phone = (asker_phone or "").strip()
    if phone:
        try:
            phone = validate_mobile(phone)
        except IdentityError as exc:
            raise Invalid(exc.labelled("联系电话"), field="asker_phone") from exc
    inquiry = FirstInquiry(
        center=center, window=window, asked_at=asked_at, asker_name=(asker_name or "").strip(), asker_phone=phone,
        asker_description=(asker_description or "").strip(),
        topic=_text(topic, field="topic", label="咨询问题", limit=200, required=True),
        detail=_text(detail, field="detail", label="问题详情", limit=TEXT_LIMIT, required=False),
        item=item, taken_by=actor, owner=actor, status=InquiryStatus.OPEN,
    )
    full_clean_or_invalid(inquiry)
    inquiry.save()
    InquiryEvent.objects.create(inquiry=inquiry, center=center, to_status=InquiryStatus.OPEN, actor=actor, at=now)
    audit_record(actor=actor, action="inquiry.log", obj=inquiry, center=center, after=_summary(inquiry), now=now)
    return inquiry


def require_transition(inquiry: FirstInquiry, to: str) -> None:
    """Checked before the input, so a closed inquiry says so rather than asking for text."""
    if to not in TRANSITIONS[InquiryStatus(inquiry.status)]:
        raise Conflict(f"该首问当前为“{inquiry.get_status_display()}”，不能{VERBS[to]}", code="illegal_transition")


def _transition(*, actor, inquiry: FirstInquiry, to: str, now: datetime, note: str = "", to_owner=None,
                action: str, **fields) -> FirstInquiry:
    """Compare-and-set on status and owner; one history row and one audit row."""
    old_status, old_owner = inquiry.status, inquiry.owner_id
    require_transition(inquiry, to)
    updated = (FirstInquiry.objects.filter(pk=inquiry.pk, status=old_status, owner_id=old_owner)
               .update(status=to, **fields))
    if updated != 1:
        raise Conflict("该首问刚被他人处理，请刷新后重试")
    before = _summary(inquiry)
    inquiry.refresh_from_db()
    InquiryEvent.objects.create(inquiry=inquiry, center_id=inquiry.center_id, from_status=old_status, to_status=to,
                                actor=actor, to_owner=to_owner, at=now, note=note)
    after = {**_summary(inquiry), "note": note}
    audit_record(actor=actor, action=f"inquiry.{action}", obj=inquiry, center=inquiry.center, before=before,
                 after=after, now=now)
    return inquiry


@transaction.atomic
def inquiry_answer(*, actor, inquiry: FirstInquiry, answer: str, now: datetime | None = None) -> FirstInquiry:
    """The question is answered (by the owner, or by a manager standing in)."""
    now = now or timezone.now()
    _require_handler(actor, inquiry)
    require_transition(inquiry, InquiryStatus.ANSWERED)
    text = _text(answer, field="answer", label="答复内容", limit=TEXT_LIMIT, required=True)
    return _transition(actor=actor, inquiry=inquiry, to=InquiryStatus.ANSWERED, now=now, note=text, action="answer",
                       answer=text, answered_at=now)


@transaction.atomic
def inquiry_hand_over(*, actor, inquiry: FirstInquiry, to_user, note: str, now: datetime | None = None) -> FirstInquiry:
    """Hand the question over on record to a named person of the centre, who then owns it."""
    now = now or timezone.now()
    _require_handler(actor, inquiry)
    require_transition(inquiry, InquiryStatus.HANDED_OVER)
    if to_user is None:
        raise Invalid("请选择接收人", field="to_user")
    if to_user.pk == inquiry.owner_id:
        raise Invalid("接收人：不能移交给当前责任人本人", field="to_user")
    if not handover_candidates(actor, inquiry).filter(pk=to_user.pk).exists():
        raise Invalid("接收人：须为本中心在岗的窗口人员或负责人", field="to_user")
    text = _text(note, field="note", label="移交说明", limit=NOTE_LIMIT, required=True)
    return _transition(actor=actor, inquiry=inquiry, to=InquiryStatus.HANDED_OVER, now=now, note=text,
                       to_owner=to_user, action="hand_over", owner_id=to_user.pk, handed_over_by_id=actor.pk,
                       handed_over_at=now, handover_note=text)


@transaction.atomic
def inquiry_close(*, actor, inquiry: FirstInquiry, note: str = "", now: datetime | None = None) -> FirstInquiry:
    """Close the inquiry. Closing one that was never answered needs a reason on record."""
    now = now or timezone.now()
    _require_handler(actor, inquiry)
    require_transition(inquiry, InquiryStatus.CLOSED)
    text = _text(note, field="note", label="办结说明", limit=NOTE_LIMIT, required=inquiry.is_pending)
    return _transition(actor=actor, inquiry=inquiry, to=InquiryStatus.CLOSED, now=now, note=text, action="close",
                       closed_at=now, close_note=text)


def inquiry_personal_view(*, actor, inquiry: FirstInquiry, now: datetime | None = None) -> None:
    """Showing the asker's full name and number to the one who must call back is audited."""
    _require_handler(actor, inquiry)
    if inquiry.asker_name or inquiry.asker_phone:
        audit_record(actor=actor, action="inquiry.view", obj=inquiry, center=inquiry.center, now=now)
