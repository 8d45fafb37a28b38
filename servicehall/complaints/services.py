"""Writes of complaints: filed from any channel, then signed for, accepted or refused,
investigated, resolved, replied to, rated by the complainant, reopened once or sent on to the
bureau, extended by the bureau, archived. Each step is a compare-and-set of the status with its
`ComplaintEvent` and an audit row; deadlines are working days on the district's calendar."""

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from servicehall.accounts.models import Role
from servicehall.accounts.permissions import require
from servicehall.audit.services import audit_record
from servicehall.cases.models import Case
from servicehall.cases.services.status_page import failures_wait, wait_refusal
from servicehall.lib.errors import Conflict, Forbidden, Invalid, text_input, whole_number
from servicehall.lib.identity import IdentityError, validate_mobile
from servicehall.lib.sms import send_sms
from servicehall.org.models import ServiceCenter, Staff, Window
from servicehall.queueing.models import Ticket
from servicehall.workcalendar.selectors import get_calendar

from .models import (
    TRANSITIONS,
    UPHELD_FINDINGS,
    Channel,
    Complaint,
    ComplaintEvent,
    Finding,
    Handler,
    Kind,
    LookupFailure,
    PublicFiling,
    RefusalGround,
    ReplyMethod,
    Satisfaction,
    Status,
)

# Where a channel's complaint comes from: the public (no account) or a person of the hall.
PUBLIC_CHANNELS = (Channel.WEB, Channel.QR, Channel.HOTLINE)
VERBS = {"sign": "签收", "accept": "受理", "refuse": "不予受理", "note": "记录调查情况", "resolve": "处理",
         "reply": "答复", "rate": "登记评价", "reopen": "重新办理", "escalate": "转营商局", "archive": "归档",
         "extend": "延期"}


def query_code_hash(number: str, code: str) -> str:
    """The complainant's query code is kept as a keyed hash of number and code."""
    return salted_hmac("complaint-query-code", f"{number}:{code}").hexdigest()


def _number(day: date) -> str:
    """TS + date + 6 random digits: a number says nothing of how many came that day (nor that a
    hidden report was filed between two others), and cannot be walked."""
    while True:
        number = f"TS{day:%Y%m%d}{secrets.randbelow(10 ** 6):06d}"
        if not Complaint.objects.filter(number=number).exists():
            return number


def _days(kind: str, simple: bool) -> int:
    return settings.SH_COMPLAINT_SIMPLE_DAYS if simple else settings.SH_COMPLAINT_DAYS[kind]


def _target(model, pk, center, field: str, label: str):
    """What the complaint names, of the named centre: else refused naming the field."""
    if pk in (None, ""):
        return None
    found = model.objects.filter(pk=whole_number(pk) or 0, center=center).first()
    if found is None:
        raise Invalid(f"{label}：在{center.name}未找到", field=field)
    return found


def _names_the_manager(staff: Staff | None) -> bool:
    return staff is not None and staff.user_id is not None and staff.user.role == Role.MANAGER


@transaction.atomic
def complaint_file(*, actor, channel: str, kind: str, center: ServiceCenter, title: str, content: str,
                   name: str = "", phone: str = "", anonymous: bool = False, simple: bool = False,
                   window=None, staff=None, ticket=None, case=None, hotline_order: str = "",
                   received_at: datetime | None = None, now: datetime | None = None) -> tuple[Complaint, str]:
    """A complaint, suggestion, opinion, praise or misconduct report, from any channel: numbered,
    routed (the centre's manager, or the bureau when it names the manager or reports misconduct),
    with its deadlines. `actor` None: the public filed it themselves. `received_at`: when it came
    (a 12345 work order's time of receipt; default now), from which its number and deadlines
    run; the record of filing is dated `now`. Returns the complaint and its query code (shown
    to the complainant once)."""
    now = now or timezone.now()
    received_at = received_at or now
    if actor is not None:
        require(actor, "complaint.file", center.pk)
    if channel not in Channel.values:
        raise Invalid("渠道：请选择", field="channel")
    if actor is None and channel not in PUBLIC_CHANNELS:
        raise Forbidden("该渠道的投诉须由工作人员登记")
    if kind not in Kind.values:
        raise Invalid("类型：请选择投诉、建议、意见、表扬或举报", field="kind")
    title = text_input(title, field="title", label="事由", limit=100)
    content = text_input(content, field="content", label="内容", limit=5000)
    name = "" if anonymous else text_input(name, field="name", label="姓名", limit=50, required=False)
    phone = (phone or "").strip()
    if phone and not anonymous:
        try:
            phone = validate_mobile(phone)
        except IdentityError as exc:
            raise Invalid(f"联系电话：{exc.args[0]}", field="phone") from None
    else:
        phone = ""
    hotline_order = text_input(hotline_order, field="hotline_order", label="12345工单号", limit=40, required=False)
    if channel == Channel.HOTLINE and not hotline_order:
        raise Invalid("12345工单号：请填写", field="hotline_order")
    window = _target(Window, window, center, "window", "涉及窗口")
    staff = _target(Staff, staff, center, "staff", "涉及人员")
    ticket = _target(Ticket, ticket, center, "ticket", "涉及排队号")
    case = _target(Case, case, center, "case", "涉及办件")
    if hotline_order and Complaint.objects.filter(hotline_order=hotline_order).exists():
        raise Conflict(f"12345工单号：工单{hotline_order}已登记", code="duplicate", field="hotline_order")
    day = timezone.localdate(received_at)
    calendar = get_calendar()
    handler = Handler.BUREAU if kind == Kind.MISCONDUCT or _names_the_manager(staff) else Handler.CENTRE
    number, code = _number(day), f"{secrets.randbelow(10 ** 6):06d}"
    try:
        with transaction.atomic():  # the same work order filed at the same moment: one wins
            complaint = Complaint.objects.create(
                number=number, query_code_hash=query_code_hash(number, code), kind=kind, channel=channel,
                simple=simple, center=center, window=window, staff=staff, ticket=ticket, case=case, handler=handler,
                title=title, content=content, anonymous=anonymous, name=name, phone=phone,
                hotline_order=hotline_order, received_at=received_at,
                sign_due=calendar.add_workdays(day, settings.SH_COMPLAINT_SIGN_DAYS).due,
                due=calendar.add_workdays(day, _days(kind, simple)).due, filed_by=actor)
    except IntegrityError:
        if not hotline_order:
            raise
        raise Conflict(f"12345工单号：工单{hotline_order}已登记", code="duplicate", field="hotline_order") from None
    ComplaintEvent.objects.create(complaint=complaint, action="file", to_status=Status.RECEIVED, actor=actor, at=now,
                                  note=Channel(channel).label)
    audit_record(actor=actor, action="complaint.file", obj=complaint, center=audit_centre(complaint), now=now,
                 after={"number": number, "kind": kind, "channel": channel, "handler": handler})
    return complaint, code


def audit_centre(complaint: Complaint):
    """The centre an audit row of the complaint is filed under: none for one the bureau handles,
    so the centre's audit readers never see that a report about them exists (the audit admin
    reads every row)."""
    return None if complaint.handler == Handler.BUREAU else complaint.center


def _require_handler(actor, complaint: Complaint) -> None:
    """The centre's manager acts on what the centre handles, the bureau on what it handles."""
    if complaint.handler == Handler.BUREAU:
        require(actor, "complaint.handle_bureau", complaint.center_id)
    else:
        require(actor, "complaint.handle", complaint.center_id)


def _move(complaint: Complaint, *, actor, action: str, to: str | None, now: datetime, note: str = "",
          **changes) -> Complaint:
    """Compare and set the status (`to`; None keeps it) and `changes`, with the event and the
    audit row."""
    to = complaint.status if to is None else to
    if action != "extend" and to not in TRANSITIONS[complaint.status]:
        raise Conflict(f"该投诉当前为“{complaint.get_status_display()}”，不能{VERBS[action]}", code="invalid_state")
    moved = Complaint.objects.filter(pk=complaint.pk, status=complaint.status, reopened=complaint.reopened,
                                     handler=complaint.handler).update(status=to, **changes)
    if moved != 1:
        raise Conflict("该投诉刚被他人处理，请刷新后重试", code="invalid_state")
    ComplaintEvent.objects.create(complaint=complaint, action=action, from_status=complaint.status, to_status=to,
                                  actor=actor, at=now, note=note)
    audit_record(actor=actor, action=f"complaint.{action}", obj=complaint, center=audit_centre(complaint), now=now,
                 before={"status": complaint.status},
                 after={"status": to, **{key: str(value) for key, value in changes.items()}})
    complaint.refresh_from_db()
    return complaint


@transaction.atomic
def complaint_sign(*, actor, complaint: Complaint, now: datetime | None = None) -> Complaint:
    """签收: the handler has it (within a working day of receipt)."""
    now = now or timezone.now()
    _require_handler(actor, complaint)
    return _move(complaint, actor=actor, action="sign", to=Status.SIGNED, now=now)


@transaction.atomic
def complaint_accept(*, actor, complaint: Complaint, now: datetime | None = None) -> Complaint:
    """受理: it will be investigated."""
    now = now or timezone.now()
    _require_handler(actor, complaint)
    return _move(complaint, actor=actor, action="accept", to=Status.INVESTIGATING, now=now)


@transaction.atomic
def complaint_refuse(*, actor, complaint: Complaint, ground: str, reason: str,
                     now: datetime | None = None) -> Complaint:
    """不予受理, only on a ground the rules allow, with the reason written out."""
    now = now or timezone.now()
    _require_handler(actor, complaint)
    if ground not in RefusalGround.values:
        raise Invalid("不予受理理由：请选择（匿名且无可核实的事实、不属于政务服务范围、已进入复议或诉讼）",
                      field="ground")
    reason = text_input(reason, field="reason", label="不予受理说明", limit=1000)
    return _move(complaint, actor=actor, action="refuse", to=Status.REFUSED, now=now, note=reason,
                 refusal_ground=ground)


@transaction.atomic
def complaint_note(*, actor, complaint: Complaint, note: str, now: datetime | None = None) -> Complaint:
    """A note of the investigation (whom was asked, what the record shows)."""
    now = now or timezone.now()
    _require_handler(actor, complaint)
    note = text_input(note, field="note", label="调查情况", limit=5000)
    return _move(complaint, actor=actor, action="note", to=Status.INVESTIGATING, now=now, note=note)


@transaction.atomic
def complaint_resolve(*, actor, complaint: Complaint, finding: str, resolution: str,
                      now: datetime | None = None) -> Complaint:
    """处置: what the investigation found and what was done about it."""
    now = now or timezone.now()
    _require_handler(actor, complaint)
    if finding not in Finding.values:
        raise Invalid("调查结论：请选择", field="finding")
    resolution = text_input(resolution, field="resolution", label="处理情况", limit=5000)
    return _move(complaint, actor=actor, action="resolve", to=Status.RESOLVED, now=now, note=resolution,
                 finding=finding, resolution=resolution)


@transaction.atomic
def complaint_reply(*, actor, complaint: Complaint, method: str, reply: str,
                    now: datetime | None = None) -> Complaint:
    """意见反馈: the answer given to the complainant, by phone, SMS, letter or in person, kept as
    given. An anonymous complainant reads it on the status page."""
    now = now or timezone.now()
    _require_handler(actor, complaint)
    if method not in ReplyMethod.values:
        raise Invalid("答复方式：请选择", field="method")
    if method in (ReplyMethod.PHONE, ReplyMethod.SMS) and not complaint.phone:
        raise Invalid("答复方式：投诉人没有留下联系电话，请选择书面或当面答复", field="method")
    reply = text_input(reply, field="reply", label="答复内容", limit=5000)
    in_time = timezone.localdate(now) <= complaint.due and complaint.answered_on_time is not False
    complaint = _move(complaint, actor=actor, action="reply", to=Status.REPLIED, now=now, note=reply, reply=reply,
                      reply_method=method, replied_at=now, answered_on_time=in_time)
    if method == ReplyMethod.SMS:
        # The message says what the answer is; the whole text and the rating are on the status page.
        said = reply if len(reply) <= 120 else reply[:118] + "……"
        transaction.on_commit(lambda: send_sms(complaint.phone, f"【政务服务】您的{complaint.get_kind_display()}"
                                                                f"（{complaint.number}）答复如下：{said}"
                                                                "凭编号和查询码可查看全文并评价。"))
    return complaint


@transaction.atomic
def complaint_rate(*, actor, complaint: Complaint, satisfaction: str, note: str = "",
                   now: datetime | None = None) -> Complaint:
    """The complainant's word on the reply (on the status page: `actor` None; or taken by phone).
    Satisfied, or no answer: archived. Not satisfied the first time: investigated again, with a
    new deadline. Not satisfied again: sent on to the bureau, which handles it from then on."""
    now = now or timezone.now()
    if actor is not None:
        _require_handler(actor, complaint)
    if complaint.status != Status.REPLIED:
        raise Conflict(f"该投诉当前为“{complaint.get_status_display()}”，答复后才能评价", code="invalid_state")
    if satisfaction not in Satisfaction.values or satisfaction == Satisfaction.NO_ANSWER:
        raise Invalid("评价：请选择满意、基本满意或不满意", field="satisfaction")
    note = text_input(note, field="note", label="意见", limit=1000, required=False)
    final = complaint.handler == Handler.BUREAU and complaint.reopened >= 1  # the bureau's answer is the last
    if satisfaction != Satisfaction.DISSATISFIED or final:
        return _move(complaint, actor=actor, action="archive", to=Status.ARCHIVED, now=now, note=note,
                     satisfaction=satisfaction, closed_at=now)
    due = get_calendar().add_workdays(timezone.localdate(now), _days(complaint.kind, complaint.simple)).due
    if complaint.reopened == 0:
        return _move(complaint, actor=actor, action="reopen", to=Status.INVESTIGATING, now=now, note=note,
                     satisfaction=satisfaction, reopened=1, due=due)
    return _move(complaint, actor=actor, action="escalate", to=Status.INVESTIGATING, now=now, note=note,
                 satisfaction=satisfaction, reopened=complaint.reopened + 1, handler=Handler.BUREAU, due=due)


@transaction.atomic
def complaint_archive(*, actor, complaint: Complaint, now: datetime | None = None) -> Complaint:
    """Archive a refusal, or a reply the complainant has not rated within
    `SH_COMPLAINT_RATE_DAYS` working days (before that, their word may still reopen it)."""
    now = now or timezone.now()
    _require_handler(actor, complaint)
    if complaint.status == Status.REPLIED:
        replied = timezone.localdate(complaint.replied_at)
        until = get_calendar().add_workdays(replied, settings.SH_COMPLAINT_RATE_DAYS).due
        if timezone.localdate(now) <= until:
            raise Conflict(f"投诉人可在{until:%Y年%m月%d日}前评价答复，之后未评价的才能归档", code="invalid_state")
    satisfaction = Satisfaction.NO_ANSWER if complaint.status == Status.REPLIED else ""
    return _move(complaint, actor=actor, action="archive", to=Status.ARCHIVED, now=now, closed_at=now,
                 satisfaction=satisfaction)


@transaction.atomic
def complaint_extend(*, actor, complaint: Complaint, due: date, reason: str,
                     now: datetime | None = None) -> Complaint:
    """The bureau extends the deadline of an open complaint, with the reason."""
    now = now or timezone.now()
    require(actor, "complaint.extend", complaint.center_id)
    reason = text_input(reason, field="reason", label="延期理由", limit=1000)
    if not complaint.is_open:
        raise Conflict(f"该投诉当前为“{complaint.get_status_display()}”，不能延期", code="invalid_state")
    if due is None or due <= complaint.due:
        raise Invalid(f"新的办结日期：须晚于原定的{complaint.due:%Y年%m月%d日}", field="due")
    calendar = get_calendar()
    latest = calendar.add_workdays(complaint.due, _days(complaint.kind, False)).due
    if not calendar.is_workday(due) or due > latest:
        raise Invalid(f"新的办结日期：须为工作日，且最晚为{latest:%Y年%m月%d日}（延长不超过一个办理期限）", field="due")
    return _move(complaint, actor=actor, action="extend", to=None, now=now, note=reason, due=due, extended=True)


def upheld(complaint: Complaint) -> bool:
    """An upheld complaint counts against the staff member, window and centre it names."""
    return complaint.kind in (Kind.COMPLAINT, Kind.MISCONDUCT) and complaint.finding in UPHELD_FINDINGS


def complaint_status_lookup(*, number: str, code: str, ip: str | None, now: datetime | None = None) -> Complaint:
    """The complainant's own complaint by its number and query code (no login), or a refusal.
    Wrong guesses slow down as on the cases' status page (one complaint's row locked while
    counting, so parallel guesses cannot slip past)."""
    now = now or timezone.now()
    number, code = (number or "").strip().upper(), (code or "").strip()
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().filter(number=number).first() if number else None
        until = failures_wait(LookupFailure.objects.all(), {"complaint": complaint} if complaint else None, ip, now)
        if until is not None:
            raise wait_refusal(until, now, "拨打投诉电话查询")
        matched = complaint is not None and secrets.compare_digest(complaint.query_code_hash,
                                                                   query_code_hash(number, code))
        if not matched:
            LookupFailure.objects.create(complaint=complaint, ip=ip, at=now)
    if not matched:
        raise Invalid("编号与查询码不匹配，请核对登记时给您的编号和6位查询码", field="number")
    return complaint


PUBLIC_FILINGS_PER_HOUR = 5


def complaint_file_public(*, ip: str | None, channel: str, now: datetime | None = None,
                          **fields) -> tuple[Complaint, str]:
    """A complaint the public files on the phone or kiosk page (no account), limited per address
    to PUBLIC_FILINGS_PER_HOUR an hour."""
    now = now or timezone.now()
    if ip and PublicFiling.objects.filter(ip=ip, at__gt=now - timedelta(hours=1)).count() >= PUBLIC_FILINGS_PER_HOUR:
        raise Forbidden("提交过于频繁，请一小时后再试，或到分中心投诉窗口反映")
    with transaction.atomic():
        filed = complaint_file(actor=None, channel=channel, now=now, **fields)
        PublicFiling.objects.create(ip=ip, at=now)
    return filed


def complaint_rate_public(*, number: str, code: str, ip: str | None, satisfaction: str, note: str = "",
                          now: datetime | None = None) -> Complaint:
    """The complainant rates the reply on the status page, proving it is theirs again."""
    now = now or timezone.now()
    complaint = complaint_status_lookup(number=number, code=code, ip=ip, now=now)
    if complaint.status != Status.REPLIED:
        raise Conflict("该投诉尚未答复或已评价", code="invalid_state")
    return complaint_rate(actor=None, complaint=complaint, satisfaction=satisfaction, note=note, now=now)
