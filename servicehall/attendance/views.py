"""Attendance pages: the centre's board (考勤看板) with its leave approvals; and the iclock
(ZKTeco ADMS push) protocol that fingerprint and face terminals speak.

    GET  /iclock/cdata?SN=…&options=all        handshake: the server's options for the device
    POST /iclock/cdata?SN=…&table=ATTLOG       punches, one tab-separated line each
    GET  /iclock/getrequest?SN=…               the device asks for commands: none ("OK")

A device is known by its serial number alone (the protocol carries nothing else): only a
serial a centre's manager registered is answered, and it may punch only for its own centre's
people (services.punches_receive). Answers are plain text, as devices expect.
"""

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from servicehall.accounts.permissions import can
from servicehall.lib.errors import Invalid, whole_number
from servicehall.lib.exports import download, xlsx_table
from servicehall.org.models import ServiceCenter, Staff, Window
from servicehall.org.selectors import get_visible
from servicehall.web import apply_service, figures_period, public, requires

from . import selectors, services
from .models import Correction, Device, ExtraDay, Half, Leave, LeaveKind, LeaveStatus, RefusedPunch, Shift

logger = logging.getLogger(__name__)

# The device keeps these: its clock's zone (UTC+8), how often to retry and to push, and that it
# should push each punch at once (Realtime) rather than at set times.
HANDSHAKE = ("GET OPTION FROM: {serial}\r\nATTLOGStamp=None\r\nOPERLOGStamp=9999\r\nATTPHOTOStamp=None\r\n"
             "ErrorDelay=30\r\nDelay=10\r\nTransTimes=00:00;14:05\r\nTransInterval=1\r\nTransFlag=TransData AttLog\r\n"
             "TimeZone=8\r\nRealtime=1\r\nEncrypt=None\r\n")


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _device(request) -> Device | None:
    serial = request.GET.get("SN", "")[:40]
    device = Device.objects.filter(serial=serial, is_active=True).first() if serial else None
    if device is None:
        logger.warning("iclock: refused a device not registered: SN=%r from %s", serial,
                       request.META.get("REMOTE_ADDR"))
    return device


@public
@csrf_exempt
@require_http_methods(["GET", "POST"])
def cdata(request):
    device = _device(request)
    if device is None:
        return _text("ERROR: 设备未登记", status=403)
    if request.method == "GET":
        services.device_seen(device)
        return _text(HANDSHAKE.format(serial=device.serial))
    if request.GET.get("table") != "ATTLOG":
        # Operation logs, user lists and photos are not kept: taken and dropped, so the
        # device does not send them again.
        services.device_seen(device)
        return _text("OK")
    body = request.body
    length = request.META.get("CONTENT_LENGTH", "")
    if length.isdigit() and len(body) != int(length):
        # The connection dropped mid-upload: nothing is kept, and the device sends it all again.
        return _text("ERROR: 上传不完整", status=400)
    body = body.decode("utf-8", errors="replace").replace("\x00", "")
    received = services.punches_receive(device=device, lines=services.parse_attlog(body), now=timezone.now())
    return _text(f"OK: {received.lines}")


@public
@require_GET
def getrequest(request):
    device = _device(request)
    if device is None:
        return _text("ERROR: 设备未登记", status=403)
    services.device_seen(device)
    return _text("OK")


# --- pages ------------------------------------------------------------------------------------

def _centres_and_pick(request, action: str):
    """The centres the user may `action` in, and the one asked for (`?center=`, else the first)."""
    centres = [c for c in ServiceCenter.objects.for_user(request.user).order_by("code")
               if can(request.user, action, c.pk)]
    code = request.GET.get("center") or request.POST.get("center", "")
    center = next((c for c in centres if c.code == code), None) if code else (centres[0] if centres else None)
    if center is None:
        raise Http404("未找到该中心")
    return centres, center


def _month(request) -> date:
    """The month asked for (`?month=2026-10`), else this month; a bad one is said and replaced."""
    text = request.GET.get("month", "")
    today = timezone.localdate()
    if not text:
        return today.replace(day=1)
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        first = None
    if first is None or not 2000 <= first.year <= 2100:
        messages.error(request, "月份：格式应为“2026-10”")
        return today.replace(day=1)
    return first


def _steps(first: date) -> dict:
    """The month shown, the ones before and after it, and the last two years' months to pick."""
    back = (first - timedelta(days=1)).replace(day=1)
    ahead = (first + timedelta(days=32)).replace(day=1)
    latest, choices = timezone.localdate().replace(day=1), []
    for n in range(24):
        year, month = divmod(latest.year * 12 + latest.month - 1 - n, 12)
        choices.append((f"{year}-{month + 1:02}", f"{year}年{month + 1}月"))
    return {"month": first, "previous": f"{back:%Y-%m}", "next": f"{ahead:%Y-%m}", "month_choices": choices}


@requires("attendance.board")
@require_safe
def board(request):
    """The centre's attendance today (考勤看板): who is at which window, who is missing, who is
    on leave, and the leaves waiting for the manager."""
    centres, center = _centres_and_pick(request, "attendance.board")
    found = selectors.day_board(center, timezone.now())
    empty = sum(w.state == "empty" for w in found.windows)
    return render(request, "attendance/board.html", {
        "centres": centres, "center": center, "board": found, "empty": empty,
        "half_label": Half(found.half).label if found.half else "",
        "can_decide": can(request.user, "attendance.leave_approve", center.pk)})


@requires("attendance.leaves")
@require_POST
def leave_decide(request, leave_id: int):
    """Approve or reject a leave at the user's level (the manager first, the bureau for a longer
    one); a refusal (no cover) is shown on the page the user came from."""
    leave = get_visible(Leave, request.user, leave_id, label="请假", related=("staff__center", "center"))
    note = request.POST.get("note", "")
    if request.POST.get("decision") == "reject":
        apply_service(request, lambda: services.leave_reject(actor=request.user, leave=leave, note=note),
                      done=f"已驳回{leave.staff.name}的请假")
    else:
        apply_service(request, lambda: services.leave_approve(actor=request.user, leave=leave, note=note),
                      done=f"已批准{leave.staff.name}的请假")
    back = reverse("attendance:leaves") if request.POST.get("back") == "leaves" else reverse("attendance:board")
    return redirect(f"{back}?center={leave.center.code}")


@requires("attendance.leaves")
@require_safe
def leaves(request):
    """请假审批: the leaves of the centres the user sees, those waiting for the user's level
    first, with what each would leave uncovered."""
    status = request.GET.get("status", LeaveStatus.PENDING)
    if status not in LeaveStatus.values and status != "all":
        status = LeaveStatus.PENDING
    rows = []
    for leave in selectors.leaves_of(request.user, status):
        decides = services.leave_can_decide(request.user, leave)
        rows.append((leave, decides, services.leave_cover_problems(leave) if decides else None))
    rows.sort(key=lambda row: not row[1])  # what waits for this user first
    return render(request, "attendance/leaves.html", {"rows": rows, "status": status,
                                                      "statuses": LeaveStatus.choices})


@requires("attendance.mine")
@require_http_methods(["GET", "POST"])
def mine(request):
    """我的考勤: my month, day by day, and my leaves; apply for leave (POST), kept as typed when
    refused."""
    staff = Staff.objects.filter(user=request.user, is_active=True).select_related("center").first()
    values = {}
    if request.method == "POST" and staff is not None:
        data = request.POST
        applied = apply_service(request, lambda: services.leave_apply(
            actor=request.user, staff=staff, kind=data.get("kind", ""), starts_on=_day(data, "starts_on", "开始日期"),
            starts_half=data.get("starts_half", ""), ends_on=_day(data, "ends_on", "结束日期"),
            ends_half=data.get("ends_half", ""), reason=data.get("reason", ""), handover=data.get("handover", ""),
            stand_in=_stand_in(staff, data.get("stand_in", ""))), done="请假申请已提交，等待审批")
        if applied:
            return redirect("attendance:mine")
        values = data
    first = _month(request)
    context = {"staff": staff, "values": values, "kinds": LeaveKind.choices, "halves": Half.choices, **_steps(first)}
    if staff is not None:
        sheet = selectors.month_sheet(staff.center, first, staff=staff)
        mine_only = Leave.objects.for_user(request.user).filter(staff=staff)
        colleagues = Staff.objects.for_user(request.user).filter(center=staff.center, is_active=True)
        context.update(sheet=sheet, row=sheet.rows[0], days=list(zip(sheet.days, sheet.rows[0].cells, strict=True)),
                       leaves=mine_only.select_related("stand_in")[:30],
                       colleagues=colleagues.exclude(pk=staff.pk).order_by("employee_no"), today=timezone.localdate())
    return render(request, "attendance/mine.html", context, status=400 if values else 200)


def _day(data, field: str, label: str) -> date | None:
    text = data.get(field, "")
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label}：日期格式应为YYYY-MM-DD", field=field) from None
    if not services.FIRST_YEAR <= day.year <= services.LAST_YEAR:
        raise Invalid(f"{label}：应在{services.FIRST_YEAR}年至{services.LAST_YEAR}年之间", field=field)
    return day


def _stand_in(staff: Staff, pk: str) -> Staff | None:
    if not pk:
        return None
    found = Staff.objects.filter(center=staff.center, pk=whole_number(pk) or 0).first()
    if found is None:
        raise Invalid("顶岗人员：须为本中心在岗的其他人员", field="stand_in")
    return found


@requires("attendance.mine")
@require_POST
def leave_change(request, leave_id: int):
    """Cancel a leave (撤销) or return early (销假) from my page."""
    leave = get_visible(Leave, request.user, leave_id, label="请假", related=("staff__center", "center"))
    data = request.POST
    if data.get("action") == "return":
        apply_service(request, lambda: services.leave_return(
            actor=request.user, leave=leave, ends_on=_day(data, "ends_on", "结束日期"),
            ends_half=data.get("ends_half", "")), done="已销假")
    else:
        apply_service(request, lambda: services.leave_cancel(actor=request.user, leave=leave), done="请假已撤销")
    return redirect("attendance:mine")


SHEET_TOTALS = ["应出勤（天）", "出勤率", "迟到（次）", "迟到（分钟）", "早退（次）", "缺卡（次）", "旷工（天）",
                "请假（天）"]


def _total_cells(totals, *, late_minutes: bool = True) -> list:
    """A row's totals as the sheet (with the late minutes) and the figures show them."""
    rate = totals.rate
    return [totals.duty_halves / 2, f"{rate}%" if rate is not None else "—", totals.late_times,
            *([totals.late_minutes] if late_minutes else []), totals.early_times, totals.missing_times,
            totals.absent_halves / 2, totals.leave_halves / 2]


@requires("attendance.sheet")
@require_safe
def sheet(request):
    """月度考勤表: each person's days of a month as signs, and their totals; as Excel too."""
    centres, center = _centres_and_pick(request, "attendance.sheet")
    first = _month(request)
    found = selectors.month_sheet(center, first)
    rows = [(row, [(selectors.SIGNS.get(cell.outcome, "") if cell else "", _cell_title(cell) if cell else "",
                    day not in found.open_days) for day, cell in zip(found.days, row.cells, strict=True)],
             _total_cells(row.totals)) for row in found.rows]
    if request.GET.get("export") == "xlsx":
        heading = ["工号", "姓名", *[f"{d.day}" for d in found.days], *SHEET_TOTALS]
        title = [f"{center.name} {first.year}年{first.month}月考勤表（√正常 迟迟到 早早退 缺缺卡 旷旷工 假请假）"]
        return download(xlsx_table("月度考勤表", [title, heading, *[
            [row.staff.employee_no, row.staff.name, *[sign for sign, _, _ in cells], *totals]
            for row, cells, totals in rows]]), f"attendance-{center.code}-{first:%Y%m}.xlsx")
    return render(request, "attendance/sheet.html", {
        "centres": centres, "center": center, "sheet": found, "rows": rows, "totals_heading": SHEET_TOTALS,
        "signs": selectors.SIGNS.items(), **_steps(first)})


def _cell_title(result) -> str:
    """A day's detail for the sheet's cell: "10月9日 迟到；上午 签到08:40 签退12:00；下午 …".
    Built here: 1,500 cells through template filters cost a 50-person sheet 100 ms."""
    parts = [f"{result.day.month}月{result.day.day}日 {result.get_outcome_display()}"]
    for half in result.halves:
        said = [Half(half["half"]).label]
        if half["leave"]:
            said.append(half["leave"])
        said += [f"签到{half['check_in'][:5]}"] if half["check_in"] else []
        said += [f"签退{half['check_out'][:5]}"] if half["check_out"] else []
        parts.append(" ".join(said))
    return "；".join(parts)


@requires("attendance.manage")
@require_http_methods(["GET", "POST"])
def manage(request):
    """考勤设置: the centre's shifts, extra service days, corrections (补卡) and clock-in
    devices, for its manager. A refused form comes back as typed."""
    centres, center = _centres_and_pick(request, "attendance.manage")
    values, form = {}, ""
    if request.method == "POST":
        form = request.POST.get("form", "")
        done = apply_service(request, lambda: _manage_post(request, center, form))
        if done and form == "device":
            # The key is shown on this answer only (never in a cookie or a log).
            messages.success(request, _MANAGE_DONE[form])
            return _manage_page(request, centres, center, {}, "", new_key=done.result[1])
        if done:
            unchanged = form == "extra_day" and done.result is False
            messages.success(request, "没有变化：该日不是加开服务日" if unchanged else _MANAGE_DONE.get(form, ""))
            return redirect(f"{reverse('attendance:manage')}?center={center.code}")
        values = request.POST
    return _manage_page(request, centres, center, values, form)


def _manage_page(request, centres, center, values, form: str, new_key: str = ""):
    today = timezone.localdate()

    def scoped(model):
        return model.objects.for_user(request.user).filter(center=center)

    return render(request, "attendance/manage.html", {
        "centres": centres, "center": center, "values": values, "form": form, "new_key": new_key,
        "shifts": scoped(Shift).filter(is_active=True).order_by("starts_at"),
        "extra_days": scoped(ExtraDay).filter(day__gte=today - timedelta(days=31)).order_by("day"),
        "corrections": scoped(Correction).select_related("staff", "by")[:30],
        "devices": scoped(Device), "refused": scoped(RefusedPunch)[:20],
        "people": scoped(Staff).filter(is_active=True).order_by("employee_no")},
        status=400 if values else 200)


_MANAGE_DONE = {"shift": "班次已保存，今天起按新班次计算考勤", "extra_day": "加开服务日已保存",
                "correction": "补卡已登记", "device": "考勤机已登记"}


def _manage_post(request, center, form: str):
    data, actor = request.POST, request.user
    if form == "shift":
        shift = None
        if data.get("shift"):
            shifts = Shift.objects.for_user(actor).filter(center=center, is_active=True)
            shift = shifts.filter(pk=whole_number(data["shift"]) or 0).first()
            if shift is None:
                raise Invalid("修改或新增：未找到该班次", field="shift")
        return services.shift_save(actor=actor, center=center, shift=shift, name=data.get("name", ""),
                                   starts_at=_clock(data, "starts_at", "上班时间"),
                                   ends_at=_clock(data, "ends_at", "下班时间"),
                                   on_workdays=bool(data.get("on_workdays")),
                                   on_extra_days=bool(data.get("on_extra_days")))
    if form == "extra_day":
        return services.extra_day_set(actor=actor, center=center, day=_day(data, "day", "日期"),
                                      open_=data.get("open") != "0", note=data.get("note", ""))
    if form == "correction":
        people = Staff.objects.for_user(actor).filter(center=center)
        person = people.filter(pk=whole_number(data.get("staff")) or 0).first()
        if person is None:
            raise Invalid("人员：请选择本中心人员", field="staff")
        day, clock = _day(data, "day", "补卡日期"), _clock(data, "time", "补卡时间")
        at = datetime.combine(day, clock, tzinfo=timezone.get_current_timezone()) if day and clock else None
        return services.correction_record(actor=actor, staff=person, at=at, reason=data.get("reason", ""))
    if form == "device":
        return services.device_register(actor=actor, center=center, serial=data.get("serial", ""),
                                        name=data.get("name", ""))
    raise Invalid("请求不完整，请重新填写", field=None)


def _clock(data, field: str, label: str) -> time | None:
    text = data.get(field, "")
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label}：时间格式应为HH:MM", field=field) from None


FIGURE_COLUMNS = ["中心", "在岗人数", "应出勤（天）", "出勤率", "迟到（次）", "早退（次）", "缺卡（次）", "旷工（天）",
                  "请假（天）", "空岗（次）", "空岗（分钟）"]


@requires("attendance.figures")
@require_safe
def figures(request):
    """考勤统计: each centre's attendance rate, lateness, absence and empty posts over a month or
    a year, with the district's total; as charts and Excel."""
    today = timezone.localdate()
    year, month, first, last = figures_period(request, today)
    centres = list(ServiceCenter.objects.for_user(request.user).order_by("code"))
    limit = settings.SH_EMPTY_POST_MINUTES
    rows, monthly = selectors.attendance_figures(centres, first, last, limit)
    total = selectors.Totals.of([r.totals for r in rows])
    table = [[r.center.name, r.people, *_total_cells(r.totals, late_minutes=False), r.empty_times,
              r.empty_minutes] for r in rows]
    table_total = ["合计", sum(r.people for r in rows), *_total_cells(total, late_minutes=False),
                   sum(r.empty_times for r in rows),
                   sum(r.empty_minutes for r in rows)]
    period = f"{year}年{month}月" if month else f"{year}年"
    if request.GET.get("export") == "xlsx":
        return download(xlsx_table("考勤统计", [[f"{period}考勤统计（空岗：上班后超过{limit}分钟窗口无应到岗人员）"],
                                            FIGURE_COLUMNS, *table, table_total]),
                        f"attendance-figures-{year}{f'{month:02}' if month else ''}.xlsx")
    months = list(range(1, 13))
    chart = {"names": [r.center.short_name or r.center.name for r in rows],
             "rates": [r.totals.rate for r in rows], "months": [f"{m}月" for m in months],
             "empty": [[monthly[r.center.pk].get(m, {}).get("empty_minutes", 0) if (not month or m == month) else None
                        for m in months] for r in rows]}
    return render(request, "attendance/figures.html", {
        "table": table, "total": table_total, "columns": FIGURE_COLUMNS, "chart": chart, "year": year,
        "month": month, "years": range(today.year - 2, today.year + 1), "months": months, "period": period,
        "limit": limit})


@requires("attendance.sign")
@require_POST
def sign(request, window_id: int):
    """签到 / 签退 from the window terminal; back to the terminal with what was recorded."""
    window = get_visible(Window, request.user, window_id, label="窗口", related=("center",))
    action = request.POST.get("action")

    def press():
        if action not in ("in", "out"):
            raise Invalid("签到签退：请按“上班签到”或“下班签退”", field="action")
        return services.terminal_sign(actor=request.user, window=window, signing_in=action == "in")

    signing_in = action == "in"
    done = apply_service(request, press)
    if done:
        at = timezone.localtime(done.result.at)
        messages.success(request, f"已签到 {at:%H:%M}，窗口恢复叫号" if signing_in
                         else f"已签退 {at:%H:%M}，窗口暂停叫号")
    return redirect(f"{reverse('queueing:terminal')}?window={window.pk}")
