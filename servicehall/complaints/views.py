"""Complaint pages: the list with deadlines and lights, intake at a window or desk (the
complainant gets the number and query code), and the complaint's file with its timeline and
the handler's next steps."""

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from servicehall.accounts.permissions import can
from servicehall.audit.context import client_ip
from servicehall.audit.services import audit_record
from servicehall.cases.models import Case
from servicehall.lib.errors import Invalid, NotFound
from servicehall.lib.exports import download, xlsx_table
from servicehall.lib.qr import qr_svg
from servicehall.org.models import ServiceCenter, Staff, Window, WindowKind
from servicehall.org.selectors import get_visible
from servicehall.queueing.models import Ticket
from servicehall.queueing.views_common import public_center
from servicehall.web import apply_service, figures_period, public, requires
from servicehall.workcalendar.selectors import get_calendar

from . import hotline, selectors, services
from .models import Channel, Complaint, Finding, Handler, Kind, RefusalGround, ReplyMethod, Satisfaction, Status

EXPORT_COLUMNS = ["编号", "类型", "渠道", "中心", "事由", "内容", "承办", "状态", "收到时间", "应办结日期", "调查结论",
                  "答复"]
STAFF_CHANNELS = [(c.value, c.label) for c in (Channel.WINDOW, Channel.DESK, Channel.PHONE)]


@requires("complaint.view")
@require_safe
def complaint_list(request):
    """投诉与意见建议: the open ones soonest due first, with their lights."""
    state = request.GET.get("state") if request.GET.get("state") in ("open", "closed", "all") else "open"
    centres = list(ServiceCenter.objects.for_user(request.user).order_by("code"))
    code = request.GET.get("center", "")
    center = next((c for c in centres if c.code == code), None)
    if code and center is None:
        raise Http404("未找到该中心")
    rows = selectors.complaints_of(request.user, state, center.pk if center else None, timezone.localdate())
    if request.GET.get("export") == "xlsx":
        # What the complaints say, as text cells (a formula typed by the public stays text);
        # nobody's name or phone.
        table = [[c.number, c.get_kind_display(), c.get_channel_display(), c.center.name, c.title, c.content,
                  c.get_handler_display(), c.get_status_display(), timezone.localtime(c.received_at)
                  .strftime("%Y-%m-%d %H:%M"), c.due.isoformat(), c.get_finding_display(), c.reply]
                 for c, _ in rows]
        return download(xlsx_table("投诉与意见建议", [EXPORT_COLUMNS, *table]),
                        f"complaints-{timezone.localdate():%Y%m%d}.xlsx")
    return render(request, "complaints/list.html", {"rows": rows, "state": state, "centres": centres,
                                                    "center": center, "can_file": can(request.user, "complaint.file")})


def _case_id(center, number: str) -> int | None:
    number = (number or "").strip()
    if not number:
        return None
    found = Case.objects.filter(center=center, number=number).values_list("pk", flat=True).first()
    if found is None:
        raise Invalid(f"涉及办件：在{center.name}未找到办件{number}", field="case")
    return found


@requires("complaint.file")
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    """登记投诉: a complaint taken at the complaint window, the desk or the phone. The complainant
    is given the number and query code on the next page."""
    centres = [c for c in ServiceCenter.objects.for_user(request.user).order_by("code")
               if can(request.user, "complaint.file", c.pk)]
    if not centres:
        raise Http404("没有可登记投诉的中心")
    data = request.POST if request.method == "POST" else request.GET
    center = next((c for c in centres if c.code == data.get("center")), centres[0])
    if request.method == "POST":
        def file():
            if data.get("channel") not in dict(STAFF_CHANNELS):
                raise Invalid("渠道：请选择投诉窗口、综合资讯台或电话", field="channel")
            return services.complaint_file(
                actor=request.user, channel=data.get("channel", ""), kind=data.get("kind", ""), center=center,
                title=data.get("title", ""), content=data.get("content", ""), name=data.get("name", ""),
                phone=data.get("phone", ""), anonymous=bool(data.get("anonymous")), simple=bool(data.get("simple")),
                window=data.get("window") or None, staff=data.get("staff") or None,
                case=_case_id(center, data.get("case", "")))

        filed = apply_service(request, file)
        if filed:
            complaint, code = filed.result
            return render(request, "complaints/filed.html", {"complaint": complaint, "code": code})
    windows = Window.objects.for_user(request.user).filter(center=center, is_active=True).order_by("number")
    people = Staff.objects.for_user(request.user).filter(center=center, is_active=True).order_by("employee_no")
    return render(request, "complaints/new.html", {
        "centres": centres, "center": center, "values": request.POST, "channels": STAFF_CHANNELS,
        "kinds": Kind.choices, "windows": windows, "people": people}, status=400 if request.method == "POST" else 200)


@requires("complaint.view")
@require_safe
def complaint_detail(request, complaint_id: int):
    """The complaint's file: what was said, what it names, its timeline, and the next steps for
    the one who handles it. Reading the complainant's contact is recorded."""
    complaint = get_visible(Complaint, request.user, complaint_id, label="投诉",
                            related=("center", "window", "staff", "filed_by"))
    handles = can(request.user, "complaint.handle_bureau" if complaint.handler == Handler.BUREAU
                  else "complaint.handle", complaint.center_id)
    if handles and complaint.phone:
        audit_record(actor=request.user, action="complaint.view", obj=complaint,
                     center=services.audit_centre(complaint),
                     after={"number": complaint.number})
    return render(request, "complaints/detail.html", {
        "complaint": complaint, "events": complaint.events.select_related("actor"), "handles": handles,
        "light": complaint.light(timezone.localdate(), get_calendar()),
        "can_extend": can(request.user, "complaint.extend", complaint.center_id) and complaint.is_open,
        "grounds": RefusalGround.choices, "findings": Finding.choices, "methods": ReplyMethod.choices,
        "satisfactions": [c for c in Satisfaction.choices if c[0] != Satisfaction.NO_ANSWER],
        "Status": Status})


ACTS = {
    "sign": lambda actor, c, data: services.complaint_sign(actor=actor, complaint=c),
    "accept": lambda actor, c, data: services.complaint_accept(actor=actor, complaint=c),
    "refuse": lambda actor, c, data: services.complaint_refuse(actor=actor, complaint=c, ground=data.get("ground", ""),
                                                               reason=data.get("reason", "")),
    "note": lambda actor, c, data: services.complaint_note(actor=actor, complaint=c, note=data.get("note", "")),
    "resolve": lambda actor, c, data: services.complaint_resolve(actor=actor, complaint=c,
                                                                 finding=data.get("finding", ""),
                                                                 resolution=data.get("resolution", "")),
    "reply": lambda actor, c, data: services.complaint_reply(actor=actor, complaint=c, method=data.get("method", ""),
                                                             reply=data.get("reply", "")),
    "rate": lambda actor, c, data: services.complaint_rate(actor=actor, complaint=c,
                                                           satisfaction=data.get("satisfaction", ""),
                                                           note=data.get("note", "")),
    "archive": lambda actor, c, data: services.complaint_archive(actor=actor, complaint=c),
    "extend": lambda actor, c, data: services.complaint_extend(actor=actor, complaint=c, due=_date(data.get("due")),
                                                               reason=data.get("reason", "")),
}


def _date(text) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise Invalid("新的办结日期：日期格式应为YYYY-MM-DD", field="due") from None


@requires("complaint.view")
@require_POST
def complaint_act(request, complaint_id: int):
    """One step of the file's buttons; a refusal is said on the file."""
    complaint = get_visible(Complaint, request.user, complaint_id, label="投诉", related=("center",))
    def press():
        act = ACTS.get(request.POST.get("action", ""))
        if act is None:
            raise Invalid("操作：请按页面上的按钮办理", field="action")
        return act(request.user, complaint, request.POST)

    apply_service(request, press, done="已办理")
    return redirect(reverse("complaints:detail", args=[complaint.pk]))


FIGURE_COLUMNS = ["中心", "合计", *Kind.labels, "属实率", "按期答复率", "满意率"]


@requires("complaint.figures")
@require_safe
def figures(request):
    """投诉统计: each centre's complaints of a month or a year by kind and channel, with the upheld,
    on-time and satisfaction rates and the district's total; charts and Excel."""
    today = timezone.localdate()
    year, month, first, last = figures_period(request, today)
    rows, total = selectors.complaint_figures(request.user, first, last, today)
    people, windows = selectors.upheld_counts(request.user, first, last)
    table = [_figure_row(t) for t in rows]
    period = f"{year}年{month}月" if month else f"{year}年"
    if request.GET.get("export") == "xlsx":
        return download(xlsx_table("投诉统计", [[f"{period}投诉与意见建议统计"], FIGURE_COLUMNS, *table,
                                              _figure_row(total)]),
                        f"complaint-figures-{year}{f'{month:02}' if month else ''}.xlsx")
    chart = {"names": [t.name.replace("龙港区行政服务中心", "") or t.name for t in rows], "kinds": Kind.labels,
             "counts": [[t.kinds[k] for k in Kind.values] for t in rows],
             "channels": [{"name": label, "value": total.channels[value]} for value, label in Channel.choices]}
    return render(request, "complaints/figures.html", {
        "table": table, "total": _figure_row(total), "columns": FIGURE_COLUMNS, "chart": chart, "year": year,
        "month": month, "period": period, "years": range(today.year - 2, today.year + 1), "months": range(1, 13),
        "channels": [(label, total.channels[value]) for value, label in Channel.choices],
        "upheld_people": people, "upheld_windows": windows})


def _figure_row(tally) -> list:
    def rate(value):
        return f"{value}%" if value is not None else "—"

    return [tally.name, tally.total, *[tally.kinds[k] for k in Kind.values], rate(tally.upheld_rate),
            rate(tally.on_time_rate), rate(tally.satisfaction_rate)]


@requires("complaint.import")
@require_http_methods(["GET", "POST"])
def hotline_import_view(request):
    """导入12345工单: the hotline's Excel export. A file with any bad row files nothing and names
    sheet, row and column; work orders imported before are skipped."""
    result, name = None, ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "文件：请选择12345导出的Excel文件")
        elif upload.size > hotline.MAX_FILE_BYTES:
            messages.error(request, f"文件：不能超过{hotline.MAX_FILE_BYTES // 1024 // 1024}MB")
        else:
            name = upload.name
            result = hotline.hotline_import(actor=request.user, content=upload.read())
    return render(request, "complaints/import.html", {"result": result, "name": name},
                  status=400 if result is not None and not result.ok else 200)


# --- the public's pages (phone, kiosk; no login) -------------------------------------------

PUBLIC_KINDS = [(k.value, k.label) for k in (Kind.COMPLAINT, Kind.SUGGESTION, Kind.OPINION, Kind.PRAISE,
                                             Kind.MISCONDUCT)]


@public
@require_http_methods(["GET", "POST"])
def public_file(request, code: str):
    """我要投诉 / 提建议 for a centre, on the phone (the QR code on slips and receipts: `?via=qr`)
    or the kiosk. What was typed stays on a refusal; the number and query code are shown once."""
    center = get_or_404_center(code)
    via = Channel.QR if request.GET.get("via") == "qr" or request.POST.get("via") == "qr" else Channel.WEB
    # From a slip's code: the ticket it was printed for (by its token, of this centre) is named.
    token = (request.POST.get("ticket") or request.GET.get("ticket") or "")[:64]
    ticket = Ticket.objects.filter(token=token, center=center).first() if token else None
    if request.method == "POST":
        data = request.POST
        filed = apply_service(request, lambda: services.complaint_file_public(
            ip=client_ip(request), channel=via, kind=data.get("kind", ""), center=center,
            title=data.get("title", ""), content=data.get("content", ""), name=data.get("name", ""),
            phone=data.get("phone", ""), anonymous=bool(data.get("anonymous")),
            ticket=ticket.pk if ticket else None), flash=False)
        if filed:
            complaint, query_code = filed.result
            return render(request, "complaints/public_filed.html", {"complaint": complaint, "code": query_code})
        return render(request, "complaints/public_file.html", {
            "center": center, "values": data, "kinds": PUBLIC_KINDS, "via": via, "error": filed.refusal,
            "ticket": ticket},
            status=403 if filed.refusal.status == 403 else 400)
    if request.GET.get("mode") == "kiosk":
        # The kiosk has no keyboard for Chinese: the citizen continues on their phone.
        phone_url = request.build_absolute_uri(reverse("complaints:public_file", args=[center.code])) + "?via=qr"
        return render(request, "complaints/public_kiosk.html", {
            "center": center, "qr": mark_safe(qr_svg(phone_url)), "url": phone_url, "kiosk": True,
            "guide_home": reverse("guide:kiosk"), "idle_return": True, "idle_seconds": 120,
            "windows": center.windows.filter(is_active=True, kind=WindowKind.COMPLAINT).order_by("number")})
    return render(request, "complaints/public_file.html", {"center": center, "values": {}, "kinds": PUBLIC_KINDS,
                                                           "via": via, "ticket": ticket})


def get_or_404_center(code: str):
    try:
        return public_center(code)
    except NotFound:
        raise Http404("未找到该中心") from None


@public
@require_http_methods(["GET", "POST"])
def public_status(request):
    """投诉查询: by number and query code, the stage, the deadline and the reply; once replied,
    the complainant says whether they are satisfied. Nothing about anyone else."""
    data = request.POST if request.method == "POST" else {}
    found, error, rated = None, None, False
    if request.method == "POST":
        if data.get("satisfaction"):
            done = apply_service(request, lambda: services.complaint_rate_public(
                number=data.get("number", ""), code=data.get("code", ""), ip=client_ip(request),
                satisfaction=data.get("satisfaction", ""), note=data.get("note", "")), flash=False)
            rated = bool(done)
        else:
            done = apply_service(request, lambda: services.complaint_status_lookup(
                number=data.get("number", ""), code=data.get("code", ""), ip=client_ip(request)), flash=False)
        found, error = done.result, done.refusal
    return render(request, "complaints/public_status.html", {
        "complaint": found, "error": error, "values": data, "rated": rated, "Status": Status,
        "satisfactions": [c for c in Satisfaction.choices if c[0] != Satisfaction.NO_ANSWER]},
        status=(error.status if error else 200))
