"""首问登记 pages: the list of the user's centres, logging a question, and one inquiry with
its answer, hand-over and close forms. Each page parses input, calls one service, renders."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from servicehall.lib.errors import Conflict, NotFound
from servicehall.lib.masking import mask_name, mask_phone
from servicehall.org.models import BackupPost
from servicehall.web import apply_service, requires
from servicehall.workcalendar.selectors import get_calendar

from .forms import AnswerForm, CloseForm, HandOverForm, InquiryFilterForm, InquiryLogForm
from .models import TRANSITIONS, InquiryStatus
from .selectors import (
    can_handle,
    find_item,
    get_inquiry,
    handover_candidates,
    inquiries_for,
    inquiry_history,
    items_for,
    logging_centers,
    windows_of,
)
from .services import (
    inquiry_answer,
    inquiry_close,
    inquiry_hand_over,
    inquiry_log,
    inquiry_personal_view,
    require_transition,
)

readers = requires("inquiry.view")
loggers = requires("inquiry.log")


def _run(request, form, call):
    """Call one service; its refusal lands on the form. The result, and the status to render
    the form again with: 409 when someone else changed the inquiry meanwhile, else 200."""
    outcome = apply_service(request, call, form=form)
    return outcome.result, 409 if isinstance(outcome.refusal, Conflict) else 200


@readers
@require_safe
def list_view(request):
    user = request.user
    form = InquiryFilterForm(request.GET or None, initial={"state": "open"})
    if form.is_bound and not form.is_valid():
        state, rows = "", inquiries_for(user).none()  # say what is wrong rather than show everything
    else:
        filters = form.cleaned_data if form.is_bound else {}
        state = filters.get("state") or "open"
        rows = inquiries_for(user, state="" if state == "all" else state, mine=bool(filters.get("mine")))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    now, calendar = timezone.now(), get_calendar()
    for row in page:
        row.overdue = row.is_overdue(now, calendar)
        row.asker_masked = mask_name(row.asker_name)
        row.phone_masked = mask_phone(row.asker_phone) if row.asker_phone else ""
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inquiries/list.html", {
        "form": form, "page": page, "state": state, "query": query.urlencode(),
        "can_log": logging_centers(user).exists(),
    })


def _own_window(user, center):
    """The window the user holds (A post) or stands in for (B post) in this centre, if any."""
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return None
    posts = BackupPost.objects.for_user(user).filter(center=center).select_related("window")
    post = posts.filter(holder=profile).first() or posts.filter(backup_staff=profile).first()
    return post.window if post and post.window.is_active else None


@loggers
def new_view(request):
    user = request.user
    centers = list(logging_centers(user))
    if not centers:
        raise PermissionDenied("您的账号尚未关联服务中心，不能登记首问")
    code = request.POST.get("center") or request.GET.get("center")
    center = next((c for c in centers if c.code == code), None) if code else centers[0]
    if center is None:
        raise NotFound("未找到该中心")
    windows = windows_of(user, center)
    own = _own_window(user, center)
    asked_about = items_for(user).filter(code=request.GET.get("item", "")).first()  # from the information desk
    form = InquiryLogForm(request.POST or None, windows=windows, initial={
        "window": own.pk if own else None, "item_name": asked_about.name if asked_about else "",
        "item_code": asked_about.code if asked_about else "",
        "topic": f"咨询{asked_about.name}" if asked_about else ""})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def log():
            item = find_item(user, data["item_name"], data["item_code"]) if data["item_name"].strip() else None
            return inquiry_log(actor=user, center=center, window=data["window"], topic=data["topic"], item=item,
                               detail=data["detail"], asker_name=data["asker_name"], asker_phone=data["asker_phone"],
                               asker_description=data["asker_description"], asked_at=data["asked_at"])

        inquiry, status = _run(request, form, log)
        if inquiry:
            messages.success(request, f"已登记首问，您是首问责任人。编号 {inquiry.pk}。")
            return redirect("inquiries:detail", inquiry.pk)
    return render(request, "inquiries/new.html", {
        "form": form, "center": center, "centers": centers,
        "item_names": items_for(user).values_list("name", flat=True)[:500],
    }, status=status)


def _detail(request, inquiry, *, status=200, **bound):
    user = request.user
    handler = can_handle(user, inquiry)
    allowed = TRANSITIONS[InquiryStatus(inquiry.status)] if handler else set()
    forms = {}
    if InquiryStatus.ANSWERED in allowed:
        forms["answer_form"] = bound.get("answer_form") or AnswerForm(prefix="answer")
    if InquiryStatus.HANDED_OVER in allowed:
        forms["handover_form"] = bound.get("handover_form") or HandOverForm(
            prefix="handover", candidates=handover_candidates(user, inquiry))
    if InquiryStatus.CLOSED in allowed:
        forms["close_form"] = bound.get("close_form") or CloseForm(prefix="close", inquiry=inquiry)
    # A form whose action is no longer open (someone closed it meanwhile) still shows its error.
    stray_errors = [e for name, form in bound.items() if name not in forms
                    for errors in form.errors.values() for e in errors]
    show_personal = handler and request.method == "GET"
    if show_personal:
        inquiry_personal_view(actor=user, inquiry=inquiry)
    calendar = get_calendar()
    now = timezone.now()
    return render(request, "inquiries/detail.html", {
        "inquiry": inquiry, "events": inquiry_history(inquiry), "can_handle": handler, "stray_errors": stray_errors,
        "asker_name": inquiry.asker_name if show_personal else mask_name(inquiry.asker_name),
        "asker_phone": (inquiry.asker_phone if show_personal
                        else mask_phone(inquiry.asker_phone) if inquiry.asker_phone else ""),
        "overdue": inquiry.is_overdue(now, calendar), "days_open": inquiry.working_days_open(now, calendar),
        **forms,
    }, status=status)


@readers
@require_safe
def detail_view(request, inquiry_id):
    return _detail(request, get_inquiry(request.user, inquiry_id))


def _act(request, inquiry_id, *, to, form_name, make_form, call, done):
    inquiry = get_inquiry(request.user, inquiry_id)
    if not can_handle(request.user, inquiry):
        raise PermissionDenied("只有首问责任人或本中心负责人可以处理该首问")
    require_transition(inquiry, to)  # a closed inquiry answers 409 whatever the form holds
    form = make_form(inquiry)
    status = 200
    if form.is_valid():
        result, status = _run(request, form, lambda: call(inquiry, form.cleaned_data))
        if result:
            messages.success(request, done(result))
            return redirect("inquiries:detail", inquiry.pk)
    inquiry.refresh_from_db()
    return _detail(request, inquiry, status=status, **{form_name: form})


@readers
@require_POST
def answer_view(request, inquiry_id):
    return _act(request, inquiry_id, to=InquiryStatus.ANSWERED, form_name="answer_form",
                make_form=lambda i: AnswerForm(request.POST, prefix="answer"),
                call=lambda i, d: inquiry_answer(actor=request.user, inquiry=i, answer=d["answer"]),
                done=lambda i: "已答复。")


@readers
@require_POST
def hand_over_view(request, inquiry_id):
    return _act(request, inquiry_id, to=InquiryStatus.HANDED_OVER, form_name="handover_form",
                make_form=lambda i: HandOverForm(request.POST, prefix="handover",
                                                 candidates=handover_candidates(request.user, i)),
                call=lambda i, d: inquiry_hand_over(actor=request.user, inquiry=i, to_user=d["to_user"],
                                                    note=d["note"]),
                done=lambda i: f"已移交给 {i.owner.display_name}，由其继续负责。")


@readers
@require_POST
def close_view(request, inquiry_id):
    return _act(request, inquiry_id, to=InquiryStatus.CLOSED, form_name="close_form",
                make_form=lambda i: CloseForm(request.POST, prefix="close", inquiry=i),
                call=lambda i, d: inquiry_close(actor=request.user, inquiry=i, note=d["note"]),
                done=lambda i: "已办结。")
