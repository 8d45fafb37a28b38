"""Queue pages: the kiosk, the window terminal, the hall display and window screen, the
ticket status page and the public booking pages."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicehall.accounts.permissions import can, require
from servicehall.audit.context import client_ip
from servicehall.db import queue as queue_sql
from servicehall.db.caches import HALL_VERSIONS
from servicehall.lib.errors import Invalid
from servicehall.lib.links import public_url
from servicehall.lib.qr import qr_svg
from servicehall.org.models import ServiceCenter, Window
from servicehall.org.selectors import center_for_user
from servicehall.web import apply_service, public, requires

from . import selectors, services
from .forms import CategoryForm, QueueSettingsForm
from .models import QueueSettings, Ticket, TicketCategory
from .views_common import conditional_json, hall_body, operable_window, public_center, ticket_for_operator


@public
@require_GET
def display_state(request, key: str):
    """The hall display's poll: one query when nothing changed (304). The ETag is remembered
    so the next unchanged poll is answered by `middleware.HallPollMiddleware`."""
    found = queue_sql.display_lookup(key)
    if found is None:
        raise Http404("未找到该大屏")
    now = timezone.now()
    version = selectors.hall_version(found["center_id"], timezone.localdate(now), found["revision"], found["mark"])
    response = conditional_json(request, version,
                                lambda: hall_body(ServiceCenter.objects.get(pk=found["center_id"]), version, now))
    HALL_VERSIONS.put(key, response["ETag"])
    return response


def _settings_by(field: str, key: str) -> QueueSettings:
    found = QueueSettings.objects.filter(**{field: key}).select_related("center").first()
    if found is None:
        raise Http404("未找到该设备")
    return found


@public
@require_http_methods(["GET", "POST"])
def kiosk(request, key: str):
    """The ticket kiosk (取号机): big buttons per category, green channel, optional phone or
    ID, and a booking-code check-in. No login: the kiosk key binds it to its centre."""
    settings = _settings_by("kiosk_key", key)
    center = settings.center
    error = None
    if request.method == "POST":
        data = request.POST

        def take():
            if "booking_code" in data:  # the check-in form, even with the code left empty
                return services.appointment_check_in(center=center, code=data["booking_code"])
            return services.ticket_issue(center=center, prefix=data.get("category", ""),
                                         green_channel=data.get("green_channel") == "1", phone=data.get("phone", ""),
                                         id_number=data.get("id_number", ""))

        taken = apply_service(request, take, flash=False)  # the kiosk marks the field itself
        if taken:
            # The slip prints itself once, when it first opens (not on a reload).
            return redirect(reverse("queueing:kiosk_slip", args=[key, taken.result.token]) + "?print=1")
        error = taken.refusal
    now = timezone.now()
    categories = TicketCategory.objects.filter(center=center, is_active=True).order_by("prefix")
    waiting = selectors.waiting_counts(center, now)
    moment = timezone.localtime(now).time()
    on_break = bool(center.break_starts and center.break_starts <= moment < center.break_ends)
    return render(request, "queueing/kiosk.html", {
        "center": center, "categories": [(c, waiting.get(c.pk, 0)) for c in categories], "error": error,
        "posted": request.POST, "key": key, "closed": selectors.hall_closed(center, now), "on_break": on_break},
        status=400 if error else 200)


@public
@require_GET
def kiosk_slip(request, key: str, token: str):
    """The printed slip: number, people ahead, estimate and a QR code of the status page."""
    settings = _settings_by("kiosk_key", key)
    ticket = get_object_or_404(Ticket.objects.select_related("category", "center"), token=token, center=settings.center)
    status_url = public_url(reverse("queueing:ticket_status", args=[ticket.token]))
    return render(request, "queueing/slip.html", {"ticket": ticket, "position": selectors.ticket_position(ticket),
                                                  "qr": qr_svg(status_url), "key": key,
                                                  "print_now": request.GET.get("print") == "1"})


@public
@require_GET
def ticket_status(request, token: str):
    """A citizen's phone after scanning the slip: position, estimate, and the window once called."""
    ticket = get_object_or_404(Ticket.objects.select_related("category", "center", "window"), token=token)
    return render(request, "queueing/status.html", {"ticket": ticket, "position": selectors.ticket_position(ticket)})


@public
@require_GET
def display(request, key: str):
    """The hall display: polls the state document and speaks new calls one after another."""
    settings = _settings_by("display_key", key)
    center = settings.center
    return render(request, "queueing/display.html", {
        "center": center, "key": key,
        "guide_qr": qr_svg(public_url(reverse("guide:center", args=[center.code]))),
        "booking_qr": qr_svg(public_url(reverse("queueing:booking", args=[center.code])))})


@public
@require_GET
def window_screen(request, key: str, number: int):
    """The small screen above one window: the number being served there."""
    settings = _settings_by("display_key", key)
    window = get_object_or_404(Window, center=settings.center, number=number)
    return render(request, "queueing/window_screen.html", {"center": settings.center, "window": window, "key": key})


@requires("queue.operate")
def terminal(request):
    """The clerk's terminal: pick a window once, then call / recall / start / finish / skip /
    transfer with buttons or keys F1–F8."""
    windows = Window.objects.for_user(request.user).filter(is_active=True).select_related("center")
    window_id = request.GET.get("window")
    if window_id is None:  # remembered for the device's session, else the clerk's own A post
        window_id = request.session.get("queue_window") or selectors.home_window_id(request.user)
    window = windows.filter(pk=window_id).first() if str(window_id or "").isdigit() else None
    if window is None:
        centers = {w.center for w in windows}
        return render(request, "queueing/terminal_pick.html", {
            "windows": windows, "setup_centers": sorted((c for c in centers if can(request.user, "queue.setup", c)),
                                                        key=lambda c: c.code)})
    request.session["queue_window"] = window.pk
    panel = selectors.window_panel(window, timezone.now())
    categories = TicketCategory.objects.filter(center=window.center, is_active=True)
    others = windows.filter(center=window.center).exclude(pk=window.pk)
    return render(request, "queueing/terminal.html", {**panel, "categories": categories, "other_windows": others,
                                                      "shortcuts": SHORTCUTS})


SHORTCUTS = [("F1", "call-next", "叫号"), ("F2", "recall", "重呼"), ("F3", "start", "开始办理"),
             ("F4", "finish", "办结"), ("F6", "skip", "过号"), ("F8", "finish-and-next", "办结并叫下一位")]


@requires("queue.operate")
@require_POST
def terminal_act(request, window_id: int):
    """One button of the terminal; errors come back as a message on the terminal."""
    window = operable_window(request.user, window_id)
    data = request.POST
    action = data.get("action", "")

    def chosen_ticket() -> Ticket:
        if not data.get("ticket"):
            raise Invalid("排队号：请先选择要办理的号", field="ticket")
        return ticket_for_operator(request.user, data["ticket"])

    def press():
        if action in ("call-next", "finish-and-next"):
            return services.ticket_call_next(actor=request.user, window=window,
                                             finish_current=action == "finish-and-next")
        if action == "call":
            ticket = get_object_or_404(Ticket, pk=data.get("ticket") or 0, center=window.center)
            return services.ticket_call(actor=request.user, window=window, ticket=ticket)
        if action == "pause":
            return services.window_pause(actor=request.user, window=window, paused=data.get("paused") == "1")
        if action == "transfer":
            category = TicketCategory.objects.filter(center=window.center, prefix=data.get("category", "")).first()
            target = Window.objects.filter(center=window.center, pk=data.get("to_window") or 0).first()
            return services.ticket_transfer(actor=request.user, ticket=chosen_ticket(), category=category,
                                            window=target)
        return services.ticket_act(actor=request.user, ticket=chosen_ticket(), action=action)

    pressed = apply_service(request, press)
    if pressed:
        messages.success(request, _what_happened(action, pressed.result, data.get("paused") == "1"))
    return redirect(f"{reverse('queueing:terminal')}?window={window.pk}")


def _what_happened(action: str, ticket, paused: bool) -> str:
    """Every key of the terminal answers what it did, with the number it did it to."""
    if action == "pause":
        return "已暂停服务，大屏显示“暂停服务”" if paused else "已恢复服务"
    if ticket is None:
        return "当前没有等候的群众"
    said = {"call-next": "已叫号", "finish-and-next": "已叫号", "call": "已叫号", "recall": "已重呼",
            "start": "开始办理", "finish": "已办结", "skip": "已过号", "transfer": "已转移（保留排队位置）"}
    recalls = f"（第{ticket.recalls}次）" if action == "recall" else ""
    return f"{said.get(action, '已办理')}：{ticket.number}{recalls}"


@public
@require_GET
def booking_centers(request):
    """The public booking start page: which centre."""
    centers = (ServiceCenter.objects.filter(is_active=True, ticket_categories__is_active=True).distinct()
               .order_by("code"))
    return render(request, "queueing/book_centers.html", {"centers": centers})


@public
@require_http_methods(["GET", "POST"])
def booking(request, code: str):
    """Pick category and day (GET), then a slot with ID and phone (POST). No login."""
    center = public_center(code)
    now = timezone.now()
    categories = TicketCategory.objects.filter(center=center, is_active=True).order_by("prefix")
    days = selectors.bookable_days(center, now)
    data = request.POST if request.method == "POST" else request.GET
    category = categories.filter(prefix=data.get("category", "")).first()
    day = next((d for d in days if d.isoformat() == data.get("day")), None)
    error = None
    if request.method == "POST":
        def book():
            if category is None or day is None:
                raise Invalid("请先选择业务类别和日期", field="category")
            return services.appointment_book(center=center, prefix=category.prefix, day=day,
                                             slot_start=selectors.parse_slot(data.get("slot", "")),
                                             holder=data.get("holder", ""), phone=data.get("phone", ""),
                                             source_ip=client_ip(request), now=now)

        booked = apply_service(request, book, flash=False)  # the page marks the field itself
        if booked:
            return render(request, "queueing/book_done.html", {"center": center, "appointment": booked.result})
        error = booked.refusal
    slots = selectors.slots_for(category, day, now) if category and day else []
    return render(request, "queueing/book.html", {
        "center": center, "categories": categories, "days": days, "category": category, "day": day,
        "slots": slots, "error": error, "posted": request.POST}, status=400 if error else 200)


@public
@require_http_methods(["GET", "POST"])
def booking_cancel(request):
    """Cancel with the booking code and the ID used to book."""
    error = done = None
    if request.method == "POST":
        cancelled = apply_service(request, lambda: services.appointment_cancel(
            code=request.POST.get("code", ""), holder=request.POST.get("holder", "")), flash=False)
        done, error = cancelled.result, cancelled.refusal
    return render(request, "queueing/book_cancel.html", {"error": error, "done": done, "posted": request.POST},
                  status=400 if error and error.status == 400 else 200)


def _managed_center(request, code: str) -> ServiceCenter:
    center = center_for_user(request.user, code)
    require(request.user, "queue.setup", center)
    return center


def _window_priorities(post, windows) -> dict[int, int]:
    """Ticked windows with their priority (blank → 1); a bad number is an Invalid on the field."""
    chosen = {}
    for window in windows:
        if post.get(f"window_{window.pk}"):
            raw = post.get(f"priority_{window.pk}") or "1"
            if not raw.isdigit() or not 1 <= int(raw) <= 9:
                raise Invalid(f"办理窗口：{window.number}号窗口的优先级应为1至9", field="windows")
            chosen[window.pk] = int(raw)
    return chosen


@requires("queue.setup")
@require_http_methods(["GET", "POST"])
def setup(request, code: str):
    """A centre's queue set-up: categories with their windows and priorities, rules and device keys."""
    center = _managed_center(request, code)
    settings = services.settings_for(center)
    windows = list(Window.objects.filter(center=center, is_active=True))
    categories = list(TicketCategory.objects.filter(center=center).prefetch_related("window_links"))
    editing = next((c for c in categories if str(c.pk) == request.GET.get("category")), None)
    category_form = CategoryForm(instance=editing, prefix="c")
    settings_form = QueueSettingsForm(instance=settings, prefix="s")
    if request.method == "POST" and request.POST.get("form") == "category":
        editing = next((c for c in categories if str(c.pk) == request.POST.get("category")), None)
        category_form = CategoryForm(request.POST, instance=editing, prefix="c")
        if category_form.is_valid():
            data = {f: category_form.cleaned_data[f] for f in category_form.Meta.fields}
            saved = apply_service(request, lambda: services.category_save(
                actor=request.user, center=center, data=data, windows=_window_priorities(request.POST, windows),
                category=TicketCategory.objects.filter(pk=editing.pk).first() if editing else None), form=category_form)
            if saved:
                messages.success(request, f"已保存业务类别“{saved.result.prefix} {saved.result.name}”")
                return redirect("queueing:setup", code=center.code)
    elif request.method == "POST":
        settings_form = QueueSettingsForm(request.POST, instance=services.settings_for(center), prefix="s")
        if settings_form.is_valid():
            data = {f: settings_form.cleaned_data[f] for f in QueueSettingsForm.Meta.fields + ["regenerate_keys"]}
            if apply_service(request,
                             lambda: services.queue_settings_update(actor=request.user, center=center, data=data),
                             form=settings_form, done="叫号设置已保存"):
                return redirect("queueing:setup", code=center.code)
    links = {c.pk: {link.window_id: link.priority for link in c.window_links.all()} for c in categories}
    current = links.get(editing.pk, {}) if editing else {}
    if request.method == "POST" and request.POST.get("form") == "category":  # keep what was ticked
        current = {w.pk: request.POST.get(f"priority_{w.pk}") for w in windows if request.POST.get(f"window_{w.pk}")}
    return render(request, "queueing/setup.html", {
        "center": center, "settings": settings, "categories": categories, "links": links, "editing": editing,
        "window_rows": [(w, current.get(w.pk)) for w in windows], "windows": windows,
        "category_form": category_form, "settings_form": settings_form,
    }, status=400 if request.method == "POST" else 200)
