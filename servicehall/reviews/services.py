"""Reviews and the follow-up of bad ones.

A review belongs to one finished service: a ticket that was finished, or a case that was
completed. The database holds one review per service (one-to-one), so two pads, a QR code and
an SMS link submitting at once leave exactly one; the others get 409 `already_reviewed`. A bad
review (不满意, 非常不满意) opens one rectification owned by the centre that gave the service,
due SH_RECTIFICATION_DAYS working days later.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from servicehall.accounts.permissions import can
from servicehall.audit.services import audit_record
from servicehall.cases.models import Case, CaseStatus
from servicehall.lib.errors import Conflict, Forbidden, Invalid
from servicehall.lib.links import public_url
from servicehall.lib.sms import send_sms
from servicehall.queueing.models import Ticket, TicketEvent, TicketStatus
from servicehall.workcalendar.selectors import get_calendar

from .models import (
    BAD_LEVELS,
    BAD_REASONS,
    RECTIFICATION_TRANSITIONS,
    Appeal,
    AppealStatus,
    Channel,
    EvaluationPad,
    Level,
    RaterVerdict,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    Review,
)


def _service(ticket: Ticket | None, case: Case | None) -> dict:
    """Who gave the service and when it ended; refuses a service that has not finished."""
    if (ticket is None) == (case is None):
        raise Invalid("评价对象：请指定一个排队号或一个办件", field="ticket")
    if ticket is not None:
        if ticket.status != TicketStatus.DONE:
            raise Conflict("该服务尚未办结，办结后才能评价", code="not_finished")
        if Case.objects.filter(ticket=ticket).exists():  # 一次一评: the visit is rated as its case
            raise Conflict("本次办事已受理为办件，请在办件办结后对办件评价", code="rate_the_case")
        finished = (TicketEvent.objects.filter(ticket=ticket, action="finish").order_by("-at")
                    .values_list("at", flat=True).first() or ticket.called_at or ticket.issued_at)
        return {"center_id": ticket.center_id, "window_id": ticket.window_id, "staff_id": ticket.staff_id,
                "ticket": ticket, "finished": finished, "rater_phone": ticket.phone}
    if case.status not in (CaseStatus.COMPLETED, CaseStatus.DELIVERED):
        raise Conflict("该办件尚未办结，办结后才能评价", code="not_finished")
    first = case.items.order_by("position").first()
    finished = datetime.combine(case.completed_on, datetime.max.time(), tzinfo=timezone.get_current_timezone())
    return {"center_id": case.center_id, "window_id": case.window_id, "staff_id": case.clerk_id, "case": case,
            "item_id": first.item_id if first else None, "finished": finished, "rater_phone": case.applicant_phone,
            "rater_name": case.applicant_name}


def _level(value, field: str, label: str, required: bool = True) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        raise Invalid(f"{label}：请选择非常满意、满意、基本满意、不满意或非常不满意", field=field)
    return level


def review_submit(*, ticket: Ticket | None = None, case: Case | None = None, level, channel,
                  indicators: dict | None = None, comment: str = "", reasons=None,
                  now: datetime | None = None) -> Review:
    """Store the citizen's review. Nobody but the citizen submits it: the pad, the QR page and
    the SMS link call this; the window terminal cannot."""
    now = now or timezone.now()
    service = _service(ticket, case)
    level = _level(level, "level", "评价")
    try:
        channel = int(channel)
    except (TypeError, ValueError):
        channel = 0
    if channel not in Channel.values:
        raise Invalid("评价渠道：应为1至7", field="channel")
    indicators = indicators or {}
    scores = {name: _level(indicators.get(name), f"indicators.{name}", label, required=False)
              for name, label in (("efficiency", "服务效率"), ("competence", "服务水平"), ("attitude", "服务态度"))}
    reasons, comment = _reasons(reasons, level), _comment(comment)
    if now - service["finished"] > timedelta(days=settings.SH_REVIEW_WINDOW_DAYS):
        raise Conflict(f"办结已超过{settings.SH_REVIEW_WINDOW_DAYS}天，评价期已过", code="review_closed")
    finished = service.pop("finished")
    try:
        with transaction.atomic():
            review = Review.objects.create(level=level, channel=channel, comment=comment, reasons=reasons,
                                           created_at=now, **scores, **service)
            if level in BAD_LEVELS:
                _open_rectification(review, now)
    except IntegrityError:
        raise Conflict("该服务已经评价过，每次服务只能评价一次", code="already_reviewed") from None
    review.finished_at = finished
    return review


def _reasons(reasons, level: int) -> list[str]:
    reasons = list(reasons or [])
    if any(r not in BAD_REASONS for r in reasons):
        raise Invalid("差评原因：请从列出的原因中选择", field="reasons")
    return reasons if level in BAD_LEVELS else []


def _comment(comment) -> str:
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise Invalid("评价内容：不能超过500字", field="comment")
    return comment


def review_amend(*, review: Review, reasons=None, comment: str = "", now: datetime | None = None) -> Review:
    """The pad stores the level the moment it is tapped, so a citizen who walks away still
    leaves the review (and its rectification); the reasons and comment chosen on the next
    screen are added here, within SH_REVIEW_AMEND_MINUTES of the tap and only once."""
    now = now or timezone.now()
    reasons, comment = _reasons(reasons, review.level), _comment(comment)
    if not (reasons or comment):
        raise (Invalid("差评原因：请选择原因或填写意见", field="reasons") if review.is_bad
               else Invalid("评价内容：请填写", field="comment"))
    since = now - timedelta(minutes=settings.SH_REVIEW_AMEND_MINUTES)
    if Review.objects.filter(pk=review.pk, created_at__gte=since, amended_at__isnull=True).update(
            reasons=reasons, comment=comment, amended_at=now) != 1:
        raise Conflict("评价已提交，不能再修改", code="review_closed")
    review.reasons, review.comment, review.amended_at = reasons, comment, now
    return review


def pad_idle(*, pad: EvaluationPad, now: datetime | None = None) -> None:
    """The pad went back to idle: what was finished at its window before now is no longer
    offered, so the next citizen is not asked to rate the previous one's service."""
    EvaluationPad.objects.filter(pk=pad.pk).update(idle_since=now or timezone.now())


def _open_rectification(review: Review, now: datetime) -> Rectification:
    due = get_calendar().add_workdays(timezone.localdate(now), settings.SH_RECTIFICATION_DAYS)
    deadline = due.due
    rectification = Rectification.objects.create(review=review, center_id=review.center_id, deadline=deadline,
                                                 calendar_confirmed=due.confirmed, created_at=now)
    RectificationEvent.objects.create(rectification=rectification, center_id=review.center_id,
                                      to_status=RectificationStatus.OPEN, at=now, note=Level(review.level).label)
    audit_record(actor=None, action="rectification.open", obj=rectification, center=review.center,
                 after={"review": review.pk, "level": review.level, "deadline": deadline.isoformat()}, now=now)
    return rectification


def rectifications_redate(*, actor, year: int, now: datetime | None = None) -> int:
    """After the bureau edits or confirms a year's calendar (inside that edit's transaction), as
    cases_redate does for cases: every open rectification whose period touches the year gets its
    deadline and its flag computed again from the day it was opened. Each move is a history row
    and an audit row. Returns the number changed."""
    now = now or timezone.now()
    calendar = get_calendar()
    tz = timezone.get_current_timezone()
    changed = 0
    for rectification in (Rectification.objects.select_for_update(of=("self",))
                          .exclude(status=RectificationStatus.CLOSED)
                          .filter(created_at__lt=datetime(year + 1, 1, 1, tzinfo=tz), deadline__gte=date(year, 1, 1))
                          .select_related("center").order_by("pk")):
        due = calendar.add_workdays(timezone.localdate(rectification.created_at, tz), settings.SH_RECTIFICATION_DAYS)
        old = rectification.deadline
        if (old, rectification.calendar_confirmed) == (due.due, due.confirmed):
            continue
        if Rectification.objects.filter(pk=rectification.pk, status=rectification.status, deadline=old).update(
                deadline=due.due, calendar_confirmed=due.confirmed) != 1:
            raise Conflict("整改刚被他人办理，请稍后重试日历修改", code="invalid_state")
        changed += 1
        if old == due.due:  # only the year's confirmation: the date stands
            continue
        RectificationEvent.objects.create(
            rectification=rectification, center_id=rectification.center_id, from_status=rectification.status,
            to_status=rectification.status, actor=actor, at=now,
            note=f"{year}年工作日历调整，整改期限由{old:%Y-%m-%d}改为{due.due:%Y-%m-%d}")
        audit_record(actor=actor, action="rectification.redate", obj=rectification, center=rectification.center,
                     before={"deadline": old.isoformat()}, after={"deadline": due.due.isoformat(), "year": year},
                     now=now)
    return changed


def rectification_refusal(actor, rectification: Rectification) -> str | None:
    """Why `actor` may not work `rectification`, or None. The responsible centre works it; with
    SH_RECTIFICATION_SEPARATE (the default) the clerk whose service was rated never does, and
    window staff work one only when the centre's head has assigned it to them."""
    if not can(actor, "review.rectify", rectification.center_id):
        return "只有责任单位的人员可以办理整改"
    if not settings.SH_RECTIFICATION_SEPARATE or can(actor, "review.assign", rectification.center_id):
        return None
    if actor.pk == rectification.review.staff_id:
        return "被评价的窗口人员不能办理本人服务的差评整改，由中心负责人办理或指派他人"
    if actor.pk != rectification.handler_id:
        return "该整改由中心负责人办理或指派的办理人办理"
    return None


@transaction.atomic
def rectification_assign(*, actor, rectification: Rectification, handler, now: datetime | None = None) -> Rectification:
    """The centre's head names who works the rectification: one of the centre's people, not the
    clerk whose service was rated."""
    now = now or timezone.now()
    if not can(actor, "review.assign", rectification.center_id):
        raise Forbidden("只有责任单位负责人可以指派整改办理人")
    if handler is None or not can(handler, "review.rectify", rectification.center_id):
        raise Invalid("办理人：请选择本中心的人员", field="handler")
    if settings.SH_RECTIFICATION_SEPARATE and handler.pk == rectification.review.staff_id:
        raise Invalid("办理人：不能指派被评价的窗口人员本人", field="handler")
    if rectification.status == RectificationStatus.CLOSED:
        raise Conflict("该整改已办结", code="invalid_state")
    before = rectification.handler_id
    Rectification.objects.filter(pk=rectification.pk).update(handler=handler)
    rectification.handler = handler
    RectificationEvent.objects.create(rectification=rectification, center_id=rectification.center_id,
                                      from_status=rectification.status, to_status=rectification.status, actor=actor,
                                      at=now, note=f"指派{handler.display_name}办理")
    audit_record(actor=actor, action="rectification.assign", obj=rectification, center=rectification.center,
                 before={"handler": before}, after={"handler": handler.pk}, now=now)
    return rectification


STEPS = {  # target status → (field that holds the text, its label, audit action)
    RectificationStatus.CALLED_BACK: ("callback_outcome", "回访情况", "callback"),
    RectificationStatus.VERIFIED: ("verification", "核实情况", "verify"),
    RectificationStatus.RECTIFIED: ("rectification", "整改措施", "rectify"),
    RectificationStatus.CLOSED: ("reply", "反馈内容", "reply"),
}


@transaction.atomic
def rectification_advance(*, actor, rectification: Rectification, to: str, text: str,
                          now: datetime | None = None, notify_rater: bool = True) -> Rectification:
    """Call back → verify → rectify → reply, each with what was done, in that order. The reply
    closes it and invites the rater by SMS to rate the correction (the demo's made-up raters
    are not: `notify_rater=False`)."""
    now = now or timezone.now()
    refusal = rectification_refusal(actor, rectification)
    if refusal:
        raise Forbidden(refusal)
    if to not in STEPS:
        raise Invalid("整改步骤：请选择回访、核实、整改或反馈", field="to")
    to = RectificationStatus(to)
    field, label, action = STEPS[to]
    if to not in RECTIFICATION_TRANSITIONS[RectificationStatus(rectification.status)]:
        raise Conflict(f"该整改当前为“{rectification.get_status_display()}”，不能登记{label}", code="invalid_state")
    text = (text or "").strip()
    if not text:
        raise Invalid(f"{label}：请填写", field="text")
    fields = {field: text[:2000], "status": to}
    if to == RectificationStatus.CALLED_BACK:
        fields["called_back_at"] = now
    if to == RectificationStatus.CLOSED:
        fields["closed_on"] = timezone.localdate(now)
    old = rectification.status
    if Rectification.objects.filter(pk=rectification.pk, status=old).update(**fields) != 1:
        raise Conflict("该整改刚被他人办理，请刷新", code="invalid_state")
    for name, value in fields.items():
        setattr(rectification, name, value)
    RectificationEvent.objects.create(rectification=rectification, center_id=rectification.center_id, from_status=old,
                                      to_status=to, actor=actor, at=now, note=text[:2000])
    audit_record(actor=actor, action=f"rectification.{action}", obj=rectification, center=rectification.center,
                 after={"status": to, label: text[:200]}, now=now)
    if to == RectificationStatus.CLOSED and notify_rater:
        transaction.on_commit(lambda: invite_to_rate_correction(rectification), robust=True)
    return rectification


@transaction.atomic
def rectification_rate(*, rectification: Rectification, verdict: str, now: datetime | None = None) -> Rectification:
    """The reviewer rates the correction once it has been replied to (SMS link or QR page)."""
    now = now or timezone.now()
    if verdict not in RaterVerdict.values:
        raise Invalid("对整改的评价：请选择满意、基本满意或不满意", field="verdict")
    if rectification.status != RectificationStatus.CLOSED:
        raise Conflict("整改尚未反馈，暂不能评价", code="invalid_state")
    if Rectification.objects.filter(pk=rectification.pk, rater_verdict="").update(rater_verdict=verdict) != 1:
        raise Conflict("已经评价过整改", code="already_reviewed")
    rectification.rater_verdict = verdict
    return rectification


def rater_contact(*, actor, review: Review, now: datetime | None = None) -> str:
    """The reviewer's phone for the call-back, shown only to the responsible unit and every
    view audited."""
    now = now or timezone.now()
    if not (can(actor, "review.contact", review.center_id) and review.level in BAD_LEVELS):
        raise Forbidden("只有责任单位负责人在回访时可以查看评价人电话")
    audit_record(actor=actor, action="review.contact_view", obj=review, center=review.center, now=now)
    return review.rater_phone


@transaction.atomic
def appeal_file(*, actor, review: Review, reason: str, now: datetime | None = None) -> Appeal:
    """申诉: the centre's manager says a bad review is mistaken or malicious."""
    now = now or timezone.now()
    if not can(actor, "review.appeal", review.center_id):
        raise Forbidden("只有被评价中心的负责人可以申诉")
    if review.level not in BAD_LEVELS or review.excluded:
        raise Conflict("只有计入统计的差评可以申诉", code="invalid_state")
    if Rectification.objects.filter(review=review, status=RectificationStatus.CLOSED).exists():
        raise Conflict("整改已办结反馈，不能再申诉", code="invalid_state")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("申诉理由：请写明差评有误或恶意的依据", field="reason")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(review=review, center_id=review.center_id, reason=reason[:2000],
                                           filed_by=actor, filed_at=now)
    except IntegrityError:
        raise Conflict("该差评已有待复核的申诉", code="appeal_pending") from None
    audit_record(actor=actor, action="appeal.file", obj=appeal, center=review.center, after={"reason": reason[:200]},
                 now=now)
    return appeal


@transaction.atomic
def appeal_decide(*, actor, appeal: Appeal, accept: bool, reason: str, now: datetime | None = None) -> Appeal:
    """The bureau decides; an accepted appeal takes the review out of the figures and keeps it."""
    now = now or timezone.now()
    if not can(actor, "review.decide_appeal", appeal.center_id):
        raise Forbidden("申诉由营商局复核")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("复核意见：请填写", field="reason")
    status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    if Appeal.objects.filter(pk=appeal.pk, status=AppealStatus.PENDING).update(
            status=status, decided_by=actor, decided_at=now, decision_reason=reason[:2000]) != 1:
        raise Conflict("该申诉已经复核", code="invalid_state")
    appeal.refresh_from_db()
    if accept:
        Review.objects.filter(pk=appeal.review_id).update(excluded=True, excluded_reason=reason[:2000])
    audit_record(actor=actor, action="appeal.accept" if accept else "appeal.reject", obj=appeal, center=appeal.center,
                 after={"reason": reason[:200]}, now=now)
    return appeal


def invite_by_sms(ticket: Ticket) -> None:
    """After a finished ticket with a phone number: the SMS link to rate it later (channel 7).
    A ticket that led to a case is invited once, for the case, when it is completed."""
    if ticket.phone and not Case.objects.filter(ticket=ticket).exists():  # most tickets have no phone
        _invite(ticket.phone, f"您在{ticket.center.name}办理的{ticket.number}号业务已办结",
                f"/reviews/t/{ticket.token}/")


def invite_case_by_sms(case: Case) -> None:
    """After a completed case: the SMS link to rate it later (channel 7)."""
    if case.review_token:
        _invite(case.applicant_phone, f"您的办件{case.number}已办结", f"/reviews/c/{case.review_token}/")


def invite_to_rate_correction(rectification: Rectification) -> None:
    """After the reply that closes a rectification: the SMS link to rate the correction, on the
    same page where the service was rated (ticket or case)."""
    review = Review.objects.select_related("ticket", "case").get(pk=rectification.review_id)
    path = (f"/reviews/c/{review.case.review_token}/" if review.case_id else f"/reviews/t/{review.ticket.token}/")
    if review.rater_phone:
        send_sms(review.rater_phone, f"您对{rectification.center.name}服务的评价已整改并反馈，"
                                     f"欢迎评价整改结果：{public_url(path)}")


def _invite(phone: str, what: str, path: str) -> None:
    if phone:
        send_sms(phone, f"{what}，欢迎在{settings.SH_REVIEW_WINDOW_DAYS}天内评价：{public_url(path)}?via=sms")


def rater_phones_purge(now: datetime | None = None) -> int:
    """Blank the raters' phones of reviews older than SH_PERSONAL_DATA_DAYS: the review and
    its figures stay, the way to reach the person goes (PIPL)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SH_PERSONAL_DATA_DAYS)
    return Review.objects.filter(created_at__lt=cutoff).exclude(rater_phone_index="").update(
        rater_phone="", rater_phone_index="")
