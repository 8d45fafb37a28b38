"""Organisation pages: centres, windows, staff and AB posts, scoped by the user's centres."""

from functools import partial

from django.contrib import messages
from django.shortcuts import redirect, render

from servicehall.accounts.permissions import can, require
from servicehall.web import apply_service, requires

from .forms import BackupPostForm, CenterCreateForm, CenterEditForm, StaffForm, WindowForm
from .models import BackupPost, Department, ServiceCenter, Staff, Window
from .selectors import center_for_user, centers_overview, get_visible, user_districts
from .services import (
    backup_post_set,
    center_create,
    center_update,
    staff_create,
    staff_personal_view,
    staff_update,
    window_create,
    window_update,
)


def _departments(user):
    """The departments a centre of the user's may belong to: any of the districts a bureau
    supervises; for the others, those of their centres."""
    if can(user, "center.define"):
        return Department.objects.filter(district__in=user_districts(user))
    return Department.objects.filter(centers__in=ServiceCenter.objects.for_user(user)).distinct()


@requires("center.view")
def centers_view(request):
    return render(request, "org/centers.html", {
        "centers": centers_overview(request.user), "can_create": can(request.user, "center.create"),
    })


@requires("center.create")
def center_create_view(request):
    form = CenterCreateForm(request.POST or None, departments=_departments(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if apply_service(request, lambda: center_create(
                actor=request.user, code=data["code"], name=data["name"], department=data["department"],
                district=data["department"].district, address=data["address"], phone=data["phone"],
                complaint_phone=data["complaint_phone"]), form=form, done=f"已新建“{data['name'].strip()}”。"):
            return redirect("org:centers")
    return render(request, "org/center_form.html", {"form": form, "title": "新建分中心"})


@requires("center.view")
def center_detail_view(request, code):
    center = center_for_user(request.user, code)
    windows = (Window.objects.for_user(request.user).filter(center=center)
               .select_related("post__holder", "post__backup_staff"))
    return render(request, "org/center_detail.html", {
        "center": center, "windows": windows,
        "staff": Staff.objects.for_user(request.user).filter(center=center).select_related("department"),
        "can_manage": can(request.user, "center.manage", center),
    })


@requires("center.view")  # another centre's is a 404, then manage is checked
def center_edit_view(request, code):
    center = center_for_user(request.user, code)
    require(request.user, "center.manage", center)
    can_rename = can(request.user, "center.define", center)
    form = CenterEditForm(request.POST or None, instance=ServiceCenter.objects.for_user(request.user).get(pk=center.pk),
                          departments=_departments(request.user), can_rename=can_rename)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if apply_service(request, lambda: center_update(actor=request.user, center=center, **changes), form=form,
                         done="中心信息已保存。"):
            return redirect("org:center", code=center.code)
    return render(request, "org/center_form.html", {"form": form, "title": f"编辑 {center.name}", "center": center})


def _owned_form(request, *, instance, center, form, save, template, done_message):
    """The create/edit page of a centre-owned row (window, staff): one service call."""
    if request.method == "POST" and form.is_valid():
        saved = apply_service(request, lambda: save(**form.cleaned_data), form=form)
        if saved:
            messages.success(request, done_message(saved.result))
            return redirect("org:center", code=center.code)
    return render(request, template, {"form": form, "center": center, "instance": instance})


@requires("center.view")  # another centre's is a 404, then manage is checked
def window_form_view(request, code=None, window_id=None):
    window = get_visible(Window, request.user, window_id, label="窗口") if window_id else None
    center = window.center if window else center_for_user(request.user, code)
    require(request.user, "center.manage", center)
    form = WindowForm(request.POST or None,
                      instance=Window.objects.for_user(request.user).get(pk=window.pk) if window else None)
    if window:
        save = partial(window_update, actor=request.user, window=window)
    else:
        save = partial(window_create, actor=request.user, center=center)
    return _owned_form(request, instance=window, center=center, form=form, save=save, template="org/window_form.html",
                       done_message=lambda w: f"{w.number}号窗口已保存。")


@requires("center.view")
def staff_detail_view(request, staff_id):
    staff = get_visible(Staff, request.user, staff_id, label="人员")
    posts = (BackupPost.objects.for_user(request.user).filter(center=staff.center)
             .select_related("window", "holder", "backup_staff"))
    return render(request, "org/staff_detail.html", {
        "staff": staff, "held": [p for p in posts if p.holder_id == staff.pk],
        "backing": [p for p in posts if p.backup_staff_id == staff.pk],
        "can_manage": can(request.user, "center.manage", staff.center),
    })


@requires("center.view")  # another centre's is a 404, then manage is checked
def staff_form_view(request, code=None, staff_id=None):
    staff = get_visible(Staff, request.user, staff_id, label="人员") if staff_id else None
    center = staff.center if staff else center_for_user(request.user, code)
    require(request.user, "center.manage", center)
    if staff and request.method == "GET":
        staff_personal_view(actor=request.user, staff=staff)
    form = StaffForm(request.POST or None,
                     instance=Staff.objects.for_user(request.user).get(pk=staff.pk) if staff else None,
                     departments=Department.objects.filter(district=center.district))
    if staff:
        save = partial(staff_update, actor=request.user, staff=staff)
    else:
        save = partial(staff_create, actor=request.user, center=center)
    return _owned_form(request, instance=staff, center=center, form=form, save=save, template="org/staff_form.html",
                       done_message=lambda s: f"{s.name} 已保存。")


@requires("center.view")  # another centre's is a 404, then manage is checked
def backup_post_view(request, window_id):
    window = get_visible(Window, request.user, window_id, label="窗口")
    require(request.user, "center.manage", window.center)
    post = BackupPost.objects.for_user(request.user).filter(window=window).first()
    staff = Staff.objects.for_user(request.user).filter(center=window.center, is_active=True)
    form = BackupPostForm(request.POST or None, instance=post, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if apply_service(request, lambda: backup_post_set(actor=request.user, window=window, holder=data["holder"],
                                                          backup_staff=data["backup_staff"]),
                         form=form, done=f"{window.number}号窗口的AB岗已设置。"):
            return redirect("org:center", code=window.center.code)
    return render(request, "org/backup_post_form.html", {"form": form, "window": window, "center": window.center})
