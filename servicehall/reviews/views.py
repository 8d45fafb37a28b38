"""Review pages: the window's evaluation pad, the citizen's QR evaluation of a ticket, and the
rectification pages of the responsible unit and the bureau."""

from datetime import date, datetime, time

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from servicehall.accounts.models import User
from servicehall.accounts.permissions import can
from servicehall.cases.models import Case, CaseStatus
from servicehall.lib.errors import error_json
from servicehall.lib.exports import download, xlsx_table
from servicehall.queueing.models import Ticket
from servicehall.web import apply_service, public, requires

from . import selectors, services
from .models import BAD_REASONS, Appeal, Channel, Level, RaterVerdict, Rectification, RectificationStatus, Review

READERS = requires("review.view")
NEXT_STEP = {RectificationStatus.OPEN: (RectificationStatus.CALLED_BACK, "回访情况", "登记回访"),
             RectificationStatus.CALLED_BACK: (RectificationStatus.VERIFIED, "核实情况", "登记核实"),
             RectificationStatus.VERIFIED: (RectificationStatus.RECTIFIED, "整改措施", "登记整改"),
             RectificationStatus.RECTIFIED: (RectificationStatus.CLOSED, "反馈内容", "反馈并办结")}


@public
@require_safe
def pad(request, key: str):
    """评价器: idle until the window finishes a service, then five big buttons."""
    found = selectors.pad_by_key(key)
    if found is None:
        raise Http404("未找到该评价器")
    return render(request, "reviews/pad.html", {"pad": found, "levels": Level.choices, "reasons": BAD_REASONS,
                                                "idle_seconds": settings.SH_PAD_IDLE_SECONDS})


@public
@require_safe
def pad_state(request, key: str):
    found = selectors.pad_by_key(key)
    if found is None:
        return error_json(404, "not_found", "未找到该评价器")
    now = timezone.now()
    return JsonResponse({"window": found.window.number, "clerk": selectors.pad_clerk(found, now),
                         "service": selectors.pending_service(found, now)})


@public
@require_http_methods(["GET", "POST"])
def ticket_review(request, token: str):
    """The QR code's page (and the SMS link, `?via=sms`): the citizen rates a finished ticket
    within the review window."""
    ticket = get_object_or_404(Ticket.objects.select_related("category", "window"), token=token)
    case = Case.objects.filter(ticket=ticket).only("review_token").order_by("id").first()
    if case is not None:  # 一次一评: a visit that became a case is rated as the case
        return redirect("reviews:case", token=case.review_token)
    return _review_page(request, ticket=ticket, title=ticket.number, finished=ticket.status == "done")


@public
@require_http_methods(["GET", "POST"])
def case_review(request, token: str):
    """The same for a case: the QR on the receipt and the SMS sent when it is completed."""
    case = get_object_or_404(Case, review_token=token)
    return _review_page(request, case=case, title=f"办件 {case.number}",
                        finished=case.status in (CaseStatus.COMPLETED, CaseStatus.DELIVERED))


def _review_page(request, *, title: str, finished: bool, ticket=None, case=None):
    """Rate the service; once rated, follow its rectification and rate the correction (the
    SMS sent when the rectification is closed links here)."""
    subject = ticket or case
    done = getattr(subject, "review", None)
    error = None
    rectification = getattr(done, "rectification", None) if done else None
    if request.method == "POST" and "verdict" in request.POST and rectification is not None:
        apply_service(request, lambda: services.rectification_rate(rectification=rectification,
                                                                   verdict=request.POST["verdict"]),
                      done="感谢您对整改的评价。")
        return redirect(request.get_full_path())
    if request.method == "POST" and done is None:
        given = apply_service(request, lambda: services.review_submit(
            ticket=ticket, case=case, level=request.POST.get("level"), comment=request.POST.get("comment", ""),
            channel=Channel.SMS if request.GET.get("via") == "sms" else Channel.QR,
            reasons=request.POST.getlist("reasons"),
            indicators={k: request.POST.get(k) for k in ("efficiency", "competence", "attitude")}), flash=False)
        done, error = given.result, given.refusal and given.refusal.message
    return render(request, "reviews/ticket.html", {"title": title, "finished": finished, "review": done,
                                                   "error": error, "levels": Level.choices, "reasons": BAD_REASONS,
                                                   "posted": request.POST, "verdicts": RaterVerdict.choices,
                                                   "posted_reasons": request.POST.getlist("reasons"),
                                                   "center": subject.center, "ticket": ticket})


@READERS
@require_safe
def rectification_list(request):
    overdue = request.GET.get("overdue") == "1"
    rows = selectors.rectifications_for(request.user, state=request.GET.get("state", ""), overdue=overdue,
                                        center=request.GET.get("center", ""))
    today = timezone.localdate()
    rows = list(rows[:300])
    for row in rows:
        row.is_overdue = row.overdue(today)
    return render(request, "reviews/rectifications.html", {"rows": rows, "overdue": overdue,
                                                           "states": RectificationStatus.choices})


STEP_DONE = {RectificationStatus.CALLED_BACK: "已登记回访情况，下一步：核实",
             RectificationStatus.VERIFIED: "已登记核实情况，下一步：整改",
             RectificationStatus.RECTIFIED: "已登记整改措施，下一步：向评价人反馈",
             RectificationStatus.CLOSED: "已反馈并办结，已短信邀请评价人评价整改结果"}


@READERS
@require_http_methods(["GET", "POST"])
def rectification_detail(request, pk: int):
    """One rectification: the rated service (linked), its four steps (回访 → 核实 → 整改 → 反馈)
    as steps, who works it, and the form of the next step for whom may take it."""
    rectification = get_object_or_404(Rectification.objects.for_user(request.user)
                                      .select_related("review__window", "review__staff", "review__ticket",
                                                      "review__case", "center", "handler"), pk=pk)
    if request.method == "POST":
        action, review = request.POST.get("action"), rectification.review
        if action == "contact":
            phone = apply_service(request, lambda: services.rater_contact(actor=request.user, review=review))
            if phone:
                messages.info(request, f"评价人电话：{phone.result}（本次查看已记入审计日志）")
        elif action == "appeal":
            apply_service(request, lambda: services.appeal_file(actor=request.user, review=review,
                                                                reason=request.POST.get("reason")),
                          done="已提交申诉，等待营商局复核。")
        elif action == "assign":
            handler = User.objects.filter(pk=request.POST.get("handler") or 0).first()
            apply_service(request, lambda: services.rectification_assign(
                actor=request.user, rectification=rectification, handler=handler),
                done=f"已指派{handler.display_name if handler else ''}办理。")
        else:
            to = request.POST.get("to", "")
            apply_service(request, lambda: services.rectification_advance(
                actor=request.user, rectification=rectification, to=to, text=request.POST.get("text", "")),
                done=STEP_DONE.get(to, "已登记。"))
        return redirect("reviews:rectification", pk=pk)
    review = rectification.review
    can_assign = can(request.user, "review.assign", rectification.center_id)
    open_now = rectification.status != RectificationStatus.CLOSED
    return render(request, "reviews/rectification.html", {
        "r": rectification, "review": review, "rater": selectors.rater_display(review),
        "next": NEXT_STEP.get(RectificationStatus(rectification.status)),
        "steps": selectors.rectification_steps(rectification),
        "is_overdue": rectification.overdue(timezone.localdate()),
        "events": rectification.events.select_related("actor"),
        "refusal": services.rectification_refusal(request.user, rectification),
        "can_contact": can(request.user, "review.contact", rectification.center_id),
        "can_appeal": can(request.user, "review.appeal", rectification.center_id) and open_now
        and not review.excluded,
        "handlers": selectors.possible_handlers(rectification) if can_assign and open_now else None,
        "service_url": reverse("cases:detail", args=[review.case.number]) if review.case_id else None,
    })


@requires("review.export")
@require_safe
def export_xlsx(request):
    """The exchange layout as an Excel workbook (`?since=YYYY-MM-DD`)."""
    since = None
    if request.GET.get("since"):
        try:
            since = datetime.combine(date.fromisoformat(request.GET["since"]), time.min,
                                     tzinfo=timezone.get_current_timezone())
        except ValueError:
            return HttpResponseBadRequest("起始日期格式应为YYYY-MM-DD")
    rows = [[title for _, title in selectors.EXCHANGE_FIELDS]]
    for review in selectors.reviews_since(request.user, since)[:50000]:
        row = selectors.exchange_row(review)
        rows.append([row[key] for key, _ in selectors.EXCHANGE_FIELDS])
    return download(xlsx_table("好差评", rows), f"reviews-{timezone.localdate():%Y%m%d}.xlsx")


# The level columns come from Level itself, in the order review_figures() counts them.
FIGURE_COLUMNS = ["名称", "评价数", *Level.labels, "满意率%", "差评率%", "整改按时率%", "回访率%"]


@requires("review.figures")
@require_safe
def figures(request):
    """好差评 figures per window, staff member, item, centre or district over a period; as a
    table, as charts, and as an Excel workbook (`export=xlsx`)."""
    today = timezone.localdate()
    group = request.GET.get("group") if request.GET.get("group") in selectors.GROUPS else "center"
    try:
        start = date.fromisoformat(request.GET.get("start") or f"{today:%Y-%m}-01")
        end = date.fromisoformat(request.GET.get("end") or today.isoformat())
    except ValueError:
        messages.error(request, "日期格式应为YYYY-MM-DD")
        start, end = today.replace(day=1), today
    if start > end:
        messages.error(request, "结束日期不能早于开始日期")
        start, end = end, start
    rows = selectors.review_figures(request.user, group, start, end, today)
    table = [[r["name"], r["total"], *r["levels"], r["satisfaction_rate"], r["bad_rate"], r["on_time_rate"],
              r["callback_rate"]] for r in rows]
    if request.GET.get("export") == "xlsx":
        heading = [f"{start:%Y-%m-%d}至{end:%Y-%m-%d}，按{selectors.GROUPS[group][2]}"]
        return download(xlsx_table("好差评统计", [heading, FIGURE_COLUMNS, *table]),
                        f"review-figures-{start:%Y%m%d}-{end:%Y%m%d}.xlsx")
    chart = {"names": [r["name"] for r in rows], "satisfaction": [r["satisfaction_rate"] for r in rows],
             "bad": [r["bad_rate"] for r in rows], "levels": Level.labels,
             "counts": [r["levels"] for r in rows]}
    return render(request, "reviews/figures.html", {
        "table": table, "columns": FIGURE_COLUMNS, "chart": chart, "group": group, "start": start, "end": end,
        "groups": [(k, v[2]) for k, v in selectors.GROUPS.items()]})


@requires("review.appeals")
@require_http_methods(["GET", "POST"])
def appeals(request):
    """申诉复核: the bureau accepts or rejects each pending appeal with its opinion; managers
    follow their centres' appeals here."""
    if request.method == "POST":
        appeal = get_object_or_404(Appeal.objects.for_user(request.user), pk=request.POST.get("appeal") or 0)
        apply_service(request, lambda: services.appeal_decide(
            actor=request.user, appeal=appeal, accept=request.POST.get("decision") == "accept",
            reason=request.POST.get("reason", "")), done="已复核。")
        return redirect("reviews:appeals")
    rows = Appeal.objects.for_user(request.user).select_related("review__window", "center", "filed_by")[:300]
    return render(request, "reviews/appeals.html",
                  {"rows": rows, "can_decide": can(request.user, "review.decide_appeal")})


@requires("review.mine")
@require_safe
def my_reviews(request):
    """The reviews of the services the user gave: level, indicators, reasons and comment, never
    who gave them."""
    rows = Review.objects.for_user(request.user).filter(staff=request.user, excluded=False) \
        .select_related("window", "ticket", "case")[:200]
    return render(request, "reviews/mine.html", {"rows": rows})
