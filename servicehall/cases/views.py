"""Case pages: receiving a case at the window (optionally from the ticket being served), one
case with its actions and printable documents, the lists (my open cases by urgency; the
centre's or district's cases with filters and CSV/Excel export) and the citizen's status page.
Each page parses input, calls one service and renders."""


from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from servicehall.accounts.models import User
from servicehall.accounts.permissions import can, roles_for
from servicehall.audit.context import client_ip
from servicehall.catalog.fees import fee_rule
from servicehall.catalog.models import ItemStatus, ServiceItem, VersionFee, VersionMaterial
from servicehall.lib.exports import csv_text, download, xlsx_table
from servicehall.lib.links import public_url
from servicehall.lib.masking import mask_identity
from servicehall.lib.qr import qr_svg
from servicehall.org.models import ServiceCenter
from servicehall.org.selectors import visible_center_ids
from servicehall.web import apply_service, public, requires
from servicehall.workcalendar.selectors import get_calendar

from . import services
from .forms import ApplicantForm, CaseFilterForm, CreditCodeExceptionForm, LightRulesForm, StatusLookupForm
from .models import BillStatus, Case, CaseStatus, CreditCodeException, Light, MaterialState, ask_once, yellow_rule
from .selectors import case_document, case_for_user, case_list, clerk_desk, document_number

readers = requires("case.view")

EXPORT_COLUMNS = ["办件编号", "中心", "事项", "申请人", "证件号码", "状态", "收件日期", "受理日期", "承诺办结日期",
                  "亮灯", "受理人"]


MINE_SHOWN = 50


class CappedPaginator(Paginator):
    """Counts at most CAP rows: counting every case of a centre cost more than the page itself
    (26 ms of 67 at a million cases); past CAP the page says so and asks for a filter."""
    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[:self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


def _with_lights(cases, today, calendar):
    for case in cases:
        case.light_now = case.light(today, calendar)
        case.remaining = case.remaining_workdays(today, calendar)
    return cases


@readers
@require_safe
def list_view(request):
    """Window staff start with their open cases, most urgent first; everyone can filter the
    cases of the centres they see, and export what the filter shows."""
    user = request.user
    now, calendar = timezone.now(), get_calendar()
    today = timezone.localdate(now)
    centers = list(ServiceCenter.objects.filter(pk__in=visible_center_ids(user)).order_by("code"))
    items = ServiceItem.objects.filter(center__in=centers).order_by("code")
    # The clerks to filter by: the operators of these centres (from their memberships, a small
    # table; reading them from the cases scanned every case of the centres on every page).
    staff = list(User.objects.filter(memberships__center__in=centers, role__in=roles_for("case.handle")).distinct()
                 .order_by("username"))
    chosen = request.GET.get("staff", "")
    if chosen.isdigit() and int(chosen) not in {u.pk for u in staff}:  # a clerk who has left keeps their cases
        staff += User.objects.filter(pk=int(chosen), cases__center__in=centers).distinct()
    form = CaseFilterForm(request.GET or None, centers=centers, items=items, staff=staff)
    mine = mine_total = None
    if can(user, "case.own_desk") and not request.GET:
        # The most urgent first; the rest through the filters (staff = me).
        mine, mine_total = clerk_desk(user, today, calendar, limit=MINE_SHOWN)
    if form.is_bound and not form.is_valid():
        rows = Case.objects.none()
    else:
        rows = case_list(user, form.cleaned_data if form.is_bound else {}, now)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return _export(export, rows[:20000], today, calendar)
    page = CappedPaginator(rows, 50).get_page(request.GET.get("page"))
    _with_lights(page, today, calendar)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(request, "cases/list.html", {"form": form, "page": page, "mine": mine, "mine_total": mine_total,
                                               "query": query.urlencode(),
                                               "can_receive": can(user, "case.handle"),
                                               "can_allow_codes": can(user, "case.set_rules")})


def _export(kind: str, rows, today, calendar) -> HttpResponse:
    """The filtered list as CSV (UTF-8 with BOM, opens in Excel) or an .xlsx workbook; the
    applicant's number is masked as on screen."""
    rows = rows.defer(None).prefetch_related("items__version")  # the masked ID number is exported
    table = [[c.number, c.center.name, "、".join(ci.version.name for ci in c.items.all()), c.applicant_name,
              mask_identity(c.applicant_id), c.get_status_display(), c.received_on, c.accepted_on or "",
              c.due_date or "", dict(Light.choices).get(c.light(today, calendar), ""),
              c.clerk.display_name] for c in rows]
    if kind == "csv":
        return download(csv_text([EXPORT_COLUMNS, *table]), f"cases-{today:%Y%m%d}.csv")
    return download(xlsx_table("办件", [EXPORT_COLUMNS, *table]), f"cases-{today:%Y%m%d}.xlsx")


def _receiving_center(user, code: str | None) -> ServiceCenter:
    ids = visible_center_ids(user)
    centers = ServiceCenter.objects.filter(pk__in=ids, is_active=True).order_by("code")
    center = centers.filter(code=code).first() if code else centers.first()
    if center is None:
        raise Http404("未找到可受理的中心")
    return center


@requires("case.handle")
@require_http_methods(["GET", "POST"])
def new_view(request):
    """收件受理 at the window: choose the items (a joint case may take several), then the
    applicant and the materials received; a missing or faulty one gives the one-time notice."""
    source = request.POST if request.method == "POST" else request.GET
    center = _receiving_center(request.user, source.get("center"))
    active = ServiceItem.objects.filter(center=center, status=ItemStatus.ACTIVE, current_version__isnull=False) \
        .select_related("current_version").order_by("code")
    chosen_codes = source.getlist("items")
    chosen = [i for i in active if i.code in chosen_codes]
    ticket = _ticket(center, source.get("ticket"))
    window = ticket.window if ticket is not None and ticket.window_id else None
    applicant = ApplicantForm(request.POST if request.method == "POST" else None)
    errors = []
    if request.method == "POST" and applicant.is_valid():
        data = applicant.cleaned_data
        materials = source.getlist("materials")
        faulty = [{"material": key.removeprefix("problem_"), "problem": value}
                  for key, value in source.items() if key.startswith("problem_") and value.strip()]
        fees = {key.removeprefix("fee_"): value for key, value in source.items()
                if key.startswith("fee_") and value.strip()}
        received = apply_service(request, lambda: services.case_submit(
            actor=request.user, center=center, items=chosen_codes, applicant=data, materials=materials, faulty=faulty,
            fees=fees, ticket=ticket, window=window), flash=False)
        if not received:  # the applicant's fields on their inputs, the rest above the form
            name = (received.refusal.field or "").removeprefix("applicant.")
            if name in applicant.fields:
                applicant.add_error(name, received.refusal.message)
            else:
                errors.append(received.refusal.message)
        else:
            case = received.result
            if case.status == CaseStatus.ACCEPTED:
                messages.success(request, f"已受理，办件编号{case.number}，承诺办结日期{case.due_date:%Y年%m月%d日}。")
            else:
                messages.warning(request, f"材料不齐全，已出具一次性告知书（办件编号{case.number}）。")
            return redirect("cases:detail", number=case.number)
    versions = [i.current_version for i in chosen]
    # A material the chosen items share is asked for once (ask_once), as the case will ask.
    asked, _ = ask_once(VersionMaterial.objects.filter(version__in=versions).order_by("version_id", "position"),
                        {v.pk: v.name for v in versions})
    checked = set(source.getlist("materials"))
    materials = [{"pk": a.material.pk, "name": a.material.name, "required": a.required, "items": a.items,
                  "checked": str(a.material.pk) in checked,  # what the clerk entered comes back after an error
                  "problem_value": source.get(f"problem_{a.material.pk}", "")} for a in asked]
    variable_fees = list(VersionFee.objects.filter(version__in=versions, amount__isnull=True)
                         .order_by("version_id", "position"))
    for fee in variable_fees:
        fee.value = source.get(f"fee_{fee.pk}", "")
        fee.rule_hint = fee_rule(fee.standard).hint
    return render(request, "cases/new.html", {
        "center": center, "items": active, "chosen": chosen, "chosen_codes": chosen_codes, "ticket": ticket,
        "applicant": applicant, "materials": materials, "variable_fees": variable_fees, "errors": errors,
    })


def _ticket(center, value):
    if not value:
        return None
    from servicehall.queueing.models import Ticket

    try:
        return Ticket.objects.select_related("window").filter(pk=int(value), center=center).first()
    except (TypeError, ValueError):
        return None


@readers
@require_safe
def detail_view(request, number: str):
    case = case_for_user(request.user, number)
    now = timezone.now()
    missing = case.materials.exclude(state=MaterialState.RECEIVED).order_by("id")
    return render(request, "cases/detail.html", {
        # A clerk who finds the materials still wanting after the notice asks the bureau.
        "can_ask_notice": can(request.user, "case.handle", case.center) and case.status == CaseStatus.RECEIVED
        and case.notices.exists() and any(services.missing_materials(case)),
        "case": case, "doc": case_document(case, now), "can_act": can(request.user, "case.handle", case.center),
        "decision_refusal": services.decision_refusal(request.user, case) if case.status == CaseStatus.ACCEPTED
        else None,
        "can_extend": can(request.user, "case.extend", case.center) and not case.extended_days
        and case.status in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED),
        "next_review": next(iter(case.review_steps[case.reviews_done:]), None),
        "extend_limit": services.extension_limit(case),
        "can_notify": can(request.user, "case.notify_again", case.center) and case.status == CaseStatus.RECEIVED,
        "missing": missing,
        "notices": case.notices.order_by("issued_at"), "unpaid": BillStatus.UNPAID,
        "variable_fees": VersionFee.objects.filter(version__in=case.items.values("version"), amount__isnull=True)
        if case.status == CaseStatus.RECEIVED else [],
    })


@requires("case.act")
@require_POST
def act_view(request, number: str):
    """One action button of the case page; errors come back as a message on the page."""
    case = case_for_user(request.user, number)
    data = request.POST
    action = data.get("action", "")
    acted = apply_service(request, lambda: services.case_act(
        actor=request.user, case=case, action=action, reason=data.get("reason"),
        days=data.get("days"), materials=data.getlist("materials"),
        faulty=[{"material": k.removeprefix("problem_"), "problem": v} for k, v in data.items()
                if k.startswith("problem_") and v.strip()],
        fees={k.removeprefix("fee_"): v for k, v in data.items() if k.startswith("fee_") and v.strip()}))
    if acted:
        messages.success(request, _what_changed(action, acted.result))
    return redirect("cases:detail", number=case.number)


def _what_changed(action: str, case) -> str:
    """Every case action says what it changed, with the date it set (pay and waive give the bill)."""
    if action in ("pay", "waive"):
        return f"已登记缴费{case.total}元" if action == "pay" else "已登记减免"
    due = f"{case.due_date:%Y年%-m月%-d日}" if case.due_date else ""
    said = {
        "supplement": "已登记补正材料，请审查后受理或再告知",
        "accept": f"已受理，承诺办结日期{due}，请打印受理通知书" if due else "已受理",
        "reject": "已作出不予受理决定，请打印决定书交申请人",
        "notify": "已出具一次性告知书，请打印交申请人",
        "suspend": "已挂起，办理时限暂停计算，请打印特别程序告知书",
        "resume": f"已恢复办理，承诺办结日期{due}",
        "extend": f"已延期，承诺办结日期{due}",
        "review": f"已完成“{case.review_steps[case.reviews_done - 1]}”环节" if case.reviews_done else "已完成审核环节",
        "approve": "已批准，请制作结果并办结",
        "deny": "已作出不予许可决定，请制作决定书并办结",
        "complete": "已办结，已通知申请人领取并评价" if case.applicant_phone else "已办结，请通知申请人领取",
        "deliver": "已登记送达，本件办理完毕",
    }
    return said.get(action, "已办理")


DOCUMENTS = {"receipt": "受理通知书", "notice": "一次性告知书", "refusal": "不予受理决定书", "bill": "缴费通知单",
             "suspension": "特别程序告知书"}


@readers
@require_safe
def document_view(request, number: str, kind: str):
    """A document handed over the counter: A4 on one page with the centre's full name, the
    title, its 文号, the applicant, what it is about (the materials received or missing, the
    fees and how to pay), the clerk and window, the centre's phones, the seal area and the
    applicant's sign-off; printed from the browser."""
    case = case_for_user(request.user, number)
    if kind not in DOCUMENTS:
        raise Http404("没有这种文书")
    context = {"case": case, "doc": case_document(case), "title": DOCUMENTS[kind], "kind": kind,
               "today": timezone.localdate()}
    record, clerk = case, case.clerk
    if kind == "receipt":
        if case.accepted_on is None:
            raise Http404("该办件尚未受理")
        accepted = case.transitions.filter(action="accept").select_related("actor").last()
        clerk = accepted.actor if accepted and accepted.actor else case.clerk
        context["received"] = case.materials.filter(state=MaterialState.RECEIVED).order_by("id")
        # The applicant scans it to follow up and, once completed, to rate the service (reviews app).
        context["qr"] = qr_svg(public_url(f"/reviews/c/{case.review_token}/")) if case.review_token else ""
        context["qr_caption"] = "扫码查询办理进度，办结后评价本次服务"
    elif kind == "notice":
        record = case.notices.select_related("issued_by").order_by("-issued_at", "-id").first()
        if record is None:
            raise Http404("该办件没有一次性告知书")
        clerk, context["notice"] = record.issued_by, record
        context["qr"] = qr_svg(public_url(reverse("cases:status")))
        context["qr_caption"] = "扫码查询办件进度"
    elif kind in ("refusal", "suspension"):
        record = case.transitions.filter(action="refuse" if kind == "refusal" else "suspend").select_related(
            "actor").last()
        if record is None:
            raise Http404("该办件没有不予受理决定" if kind == "refusal" else "该办件没有挂起记录")
        clerk, context["transition"] = record.actor or case.clerk, record
    elif kind == "bill":
        record = getattr(case, "bill", None)
        if record is None:
            raise Http404("该办件没有缴费单")
        context["payee"] = case.center.department.name if case.center.department_id else case.center.name
        context["online_payment"] = any(services.version_facts(ci.version_id).version.content.online_payment
                                        for ci in case.items.all())
    context.update({"doc_number": document_number(case, kind, record), "clerk": clerk})
    return render(request, "cases/document.html", context)


def _saved(request, form, save, *, done: str, to: str):
    """A valid POSTed `form` goes to the service `save`. The redirect after saving, or None to
    show the form again (with the service's refusal on it)."""
    if request.method == "POST" and form.is_valid() and apply_service(
            request, lambda: save(actor=request.user, **form.cleaned_data), form=form, done=done):
        return redirect(to)
    return None


@requires("case.set_rules")
@require_http_methods(["GET", "POST"])
def credit_codes_view(request):
    """The bureau's list of real credit codes whose check character fails, each with the
    reason it was allowed; receipts accept exactly these."""
    form = CreditCodeExceptionForm(request.POST or None)
    return _saved(request, form, services.credit_code_exception_add, done="已登记，窗口受理时可使用该代码。",
                  to="cases:credit_codes") or render(
        request, "cases/credit_codes.html",
        {"form": form, "rows": CreditCodeException.objects.select_related("allowed_by")[:500]})


@requires("case.set_rules")
@require_http_methods(["GET", "POST"])
def light_rules_view(request):
    """The bureau sets when open cases turn yellow, for every list, page and report."""
    days, share = yellow_rule()
    form = LightRulesForm(request.POST or None, initial={"yellow_days": days, "yellow_percent": round(share * 100)})
    return _saved(request, form, services.light_rules_update, done="亮灯规则已保存，各页面即时按新规则亮灯。",
                  to="cases:light_rules") or render(request, "cases/light_rules.html", {"form": form})


@public
@require_http_methods(["GET", "POST"])
def status_view(request):
    """The citizen's page (no login): a case by its number and the last 4 digits of the phone
    given when applying; only status and dates are shown, never a name or number."""
    form = StatusLookupForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        found = apply_service(request, lambda: services.case_status_lookup(
            number=form.cleaned_data["number"], phone_tail=form.cleaned_data["phone_tail"], ip=client_ip(request)),
            form=form).result
    return render(request, "cases/status.html", {"form": form, "case": found,
                                                 "items": found.items.select_related("version") if found else []})
