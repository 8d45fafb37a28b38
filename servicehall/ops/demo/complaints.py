"""Demo complaints and suggestions at the first two branches, through the complaints' own
services: one in every state of the flow, from several channels, one reopened after a
dissatisfied complainant, one overdue, and a misconduct report that only the bureau sees."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from servicehall.accounts.models import Role, User
from servicehall.complaints.models import Complaint
from servicehall.complaints.services import (
    complaint_accept,
    complaint_file,
    complaint_note,
    complaint_rate,
    complaint_refuse,
    complaint_reply,
    complaint_resolve,
    complaint_sign,
)
from servicehall.org.models import BackupPost, CenterKind, ServiceCenter
from servicehall.workcalendar.selectors import get_calendar

BEIJING = ZoneInfo("Asia/Shanghai")

# (kind, channel, title, content, steps it has gone through, working days ago it came)
STORIES = [
    ("complaint", "window", "等候时间过长", "上午9点取号，11点半才叫到，期间只开了一个综合受理窗口。",
     "received", 0),
    ("suggestion", "web", "建议增加周六服务", "上班族工作日来不了，建议周六上午开放半天。", "signed", 1),
    ("complaint", "phone", "一次性告知不完整", "第一次来说缺户口本，第二次来又说缺结婚证，跑了两趟。",
     "investigating", 3),
    ("complaint", "qr", "窗口工作人员态度生硬", "询问材料要求时工作人员不耐烦，没有解释清楚。", "replied", 6),
    ("praise", "window", "表扬2号窗口耐心细致", "2号窗口工作人员帮我逐项核对材料，一次办成。", "archived", 8),
    ("complaint", "hotline", "办件超期未办结", "法律援助申请已过承诺时限，电话询问无人回复。", "reopened", 9),
    ("opinion", "desk", "大厅指引标识不清楚", "二楼窗口找不到，指示牌太小。", "overdue", 15),
    ("misconduct", "web", "反映工作人员私下收费", "办理公证时有人暗示加钱可以加急。", "received", 1),
    ("complaint", "web", "服务太差", "太差了。", "refused", 4),
    ("complaint", "phone", "材料清单与网上不一致", "网上办事指南写需要3份材料，窗口要求5份。", "resolved", 2),
]


def _when(days_ago: int, today, hour: int) -> datetime:
    calendar, day = get_calendar(), today
    for _ in range(days_ago):
        day -= timedelta(days=1)
        while not calendar.is_workday(day):
            day -= timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=BEIJING)


def load_demo_complaints(district, now: datetime | None = None) -> int:
    """The stories at the first two branches that have none yet; how many were filed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    bureau = User.objects.filter(username="bureau").first()
    made = 0
    for center in ServiceCenter.objects.filter(district=district, kind=CenterKind.BRANCH).order_by("code")[:2]:
        manager = User.objects.filter(role=Role.MANAGER, memberships__center=center).order_by("pk").first()
        clerk = User.objects.filter(role=Role.STAFF, memberships__center=center).order_by("pk").first()
        post = BackupPost.objects.filter(center=center).select_related("window", "holder").order_by(
            "window__number").first()
        if manager is None or clerk is None or Complaint.objects.filter(center=center).exists():
            continue
        for number, (kind, channel, title, content, state, days_ago) in enumerate(STORIES):
            filed_at = min(_when(days_ago, today, 10), now)
            order = f"GD{filed_at:%Y%m%d}{center.code[-2:]}{number:02}" if channel == "hotline" else ""
            named = bool(number % 2)
            complaint, _ = complaint_file(
                actor=None if channel in ("web", "qr", "hotline") else clerk, channel=channel, kind=kind, center=center,
                title=title, content=content, name="赵先生" if named else "", phone="13800138000" if named else "",
                anonymous=not named, hotline_order=order, now=filed_at,
                window=post.window.pk if post and kind != "suggestion" else None,
                staff=post.holder.pk if post and kind == "complaint" else None)
            handler = bureau if kind == "misconduct" else manager
            _advance(complaint, handler, state, filed_at, now)
            made += 1
    return made


def _advance(complaint, handler, state: str, filed_at: datetime, now: datetime) -> None:
    """Take a demo complaint as far as its story goes, an hour a step (never past now)."""
    if state == "received" or handler is None:
        return
    step = [filed_at]

    def later() -> datetime:
        step[0] = min(step[0] + timedelta(hours=1), now)
        return step[0]

    complaint = complaint_sign(actor=handler, complaint=complaint, now=later())
    if state == "signed":
        return
    if state == "refused":
        complaint_refuse(actor=handler, complaint=complaint, ground="anonymous",
                         reason="匿名反映，未说明时间、窗口和具体经过，无法核实。欢迎补充后再次反映。", now=later())
        return
    complaint = complaint_accept(actor=handler, complaint=complaint, now=later())
    complaint = complaint_note(actor=handler, complaint=complaint, note="调取当日叫号记录和窗口录像，询问当班人员。",
                               now=later())
    if state in ("investigating", "overdue"):
        return
    finding = "adopted" if complaint.kind == "praise" else "upheld"
    complaint = complaint_resolve(actor=handler, complaint=complaint, finding=finding,
                                  resolution="情况属实，已对当班人员批评教育，并在周例会上通报。", now=later())
    if state == "resolved":
        return
    method = "phone" if complaint.phone else "letter"
    complaint = complaint_reply(actor=handler, complaint=complaint, method=method,
                                reply="您反映的情况经调查属实，我们已整改，感谢您的监督。", now=later())
    if state == "replied":
        return
    if state == "reopened":
        complaint_rate(actor=None, complaint=complaint, satisfaction="dissatisfied", note="只是批评教育，问题没有解决",
                       now=later())
        return
    complaint_rate(actor=None, complaint=complaint, satisfaction="satisfied", now=later())
