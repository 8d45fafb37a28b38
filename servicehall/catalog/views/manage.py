"""Proposals, review, versions, catalogue health and figures (branch managers and the bureau).

Managers propose for their centres; the bureau reviews every centre of its district. All
reads go through `for_user`, so another centre's item or proposal is a 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from servicehall.accounts.permissions import can
from servicehall.lib.errors import Invalid, NotFound
from servicehall.org.models import Department, ServiceCenter, Window
from servicehall.org.selectors import center_for_user, user_districts
from servicehall.org.services import department_item_total_set
from servicehall.web import apply_service, requires

from ..compare import compare_versions
from ..forms import ItemFormBundle
from ..health import catalogue_figures, catalogue_health
from ..models import OPEN_STATUSES, ChangeStatus, ItemChange, ItemStatus, ServiceItem
from ..services import (
    cancel_refusal,
    item_change_approve,
    item_change_cancel,
    item_change_return,
    item_change_revise,
    item_propose,
    item_withdraw_propose,
)

readers = requires("catalog.view")
proposers = requires("catalog.propose")


def _item(request, code: str) -> ServiceItem:
    item = (ServiceItem.objects.for_user(request.user).select_related("center", "current_version")
            .filter(code=code).first())
    if item is None:
        raise NotFound("未找到该事项")
    return item


def _change(request, change_id: int) -> ItemChange:
    change = (ItemChange.objects.for_user(request.user).select_related("item", "center", "version", "base_version")
              .filter(pk=change_id).first())
    if change is None:
        raise NotFound("未找到该变更申请")
    return change


def _windows(center):
    return Window.objects.filter(center=center, is_active=True).order_by("number")


@readers
def items_view(request):
    items = ServiceItem.objects.for_user(request.user).select_related("center", "current_version")
    center = request.GET.get("center", "")
    status = request.GET.get("status", "")
    if center:
        items = items.filter(center__code=center)
    if status in ItemStatus.values:
        items = items.filter(status=status)
    pending = ItemChange.objects.for_user(request.user).filter(status=ChangeStatus.SUBMITTED).count()
    centres = center_choices(request.user)
    return render(request, "catalog/items.html", {
        "items": items.order_by("center__code", "code"), "centres": centres, "center": center, "status": status,
        "statuses": ItemStatus.choices, "pending": pending, "can_propose": can(request.user, "catalog.propose"),
    })


def center_choices(user):
    return ServiceCenter.objects.for_user(user).filter(kind="branch").order_by("code")


@readers
def item_view(request, code):
    item = _item(request, code)
    versions = item.versions.order_by("-number")
    open_change = item.changes.filter(status__in=OPEN_STATUSES).first()
    return render(request, "catalog/item.html", {
        "item": item, "versions": versions, "open_change": open_change,
        "content": item.current_version.content if item.current_version else None,
        "can_propose": can(request.user, "catalog.propose", item.center),
    })


@readers
def compare_view(request, code):
    item = _item(request, code)
    numbers = sorted(item.versions.values_list("number", flat=True))
    try:
        a = int(request.GET.get("a", numbers[-2] if len(numbers) > 1 else numbers[0]))
        b = int(request.GET.get("b", numbers[-1]))
        old, new = item.versions.get(number=a), item.versions.get(number=b)
    except (ValueError, IndexError, item.versions.model.DoesNotExist):
        raise NotFound("未找到该版本") from None
    return render(request, "catalog/compare.html", {
        "item": item, "old": old, "new": new, "rows": compare_versions(old.content, new.content), "numbers": numbers,
    })


def _form_page(request, *, center, bundle, title, submit, back):
    """Render the item form; on POST, build ItemData and run `submit(data, reason)`."""
    if request.method == "POST":
        data = bundle.to_data()
        if data is not None:
            saved = apply_service(request, lambda: submit(data, bundle.reason, request.POST.get("action") == "draft"),
                                  flash=False)
            if not saved:  # the bundle puts it on the element of the item it names
                bundle.add_error(saved.refusal.field, saved.refusal.message)
            else:
                change = saved.result
                messages.success(request,
                                 "已保存为草稿。" if change.status == ChangeStatus.DRAFT else "已提交营商局审核。")
                return redirect("catalog:change", change_id=change.pk)
    return render(request, "catalog/item_form.html", {"bundle": bundle, "title": title, "center": center, "back": back})


@proposers
def propose_new_view(request):
    centres = [c for c in center_choices(request.user) if can(request.user, "catalog.propose", c)]
    code = request.GET.get("center") or request.POST.get("center") or (centres[0].code if len(centres) == 1 else "")
    if not code:
        return render(request, "catalog/pick_center.html", {"centres": centres})
    center = center_for_user(request.user, code)
    defaults = {"place": f"{center.name}（{center.address}）" if center.address else center.name,
                "hours": f"周一至周五 {center.opens_at:%H:%M}—{center.closes_at:%H:%M}（法定节假日除外）",
                "consult_phone": center.phone, "complaint_phone": center.complaint_phone,
                "body_name": center.department.name if center.department else ""}
    bundle = ItemFormBundle(request.POST or None, initial=defaults, windows=_windows(center))

    def submit(data, reason, draft):
        return item_propose(actor=request.user, center=center, data=data, reason=reason, submit=not draft)

    return _form_page(request, center=center, bundle=bundle, title=f"新增事项 · {center.name}", submit=submit,
                      back="catalog:items")


@proposers
def propose_change_view(request, code):
    item = _item(request, code)
    if item.current_version is None:
        raise NotFound("该事项尚未发布")
    bundle = ItemFormBundle(request.POST or None, initial=item.current_version.content, windows=_windows(item.center))

    def submit(data, reason, draft):
        return item_propose(actor=request.user, center=item.center, item=item, data=data, reason=reason,
                            submit=not draft)

    return _form_page(request, center=item.center, bundle=bundle, title=f"变更事项 · {item.name}", submit=submit,
                      back="catalog:items")


@proposers
def revise_view(request, change_id):
    change = _change(request, change_id)
    bundle = ItemFormBundle(request.POST or None, initial=change.version.content if change.version else None,
                            windows=_windows(change.center))

    def submit(data, reason, draft):
        return item_change_revise(actor=request.user, change=change, data=data, submit=not draft)

    return _form_page(request, center=change.center, bundle=bundle, title=f"修改申请 · {change.item}", submit=submit,
                      back="catalog:changes")


@require_POST
@proposers
def withdraw_view(request, code):
    item = _item(request, code)
    withdrawn = apply_service(request, lambda: item_withdraw_propose(actor=request.user, item=item,
                                                                     reason=request.POST.get("reason", "")),
                              done="取消事项的申请已提交营商局审核。")
    if not withdrawn:
        return redirect("catalog:item", code=item.code)
    return redirect("catalog:change", change_id=withdrawn.result.pk)


@readers
def changes_view(request):
    changes = ItemChange.objects.for_user(request.user).select_related("item", "center", "proposed_by")
    status = request.GET.get("status", "submitted" if can(request.user, "catalog.decide") else "")
    if status in ChangeStatus.values:
        changes = changes.filter(status=status)
    if request.GET.get("center"):
        changes = changes.filter(center__code=request.GET["center"])
    return render(request, "catalog/changes.html", {"changes": changes[:200], "status": status,
                                                    "statuses": ChangeStatus.choices})


@readers
def change_view(request, change_id):
    change = _change(request, change_id)
    rows = []
    if change.version is not None:
        rows = compare_versions(change.base_version.content if change.base_version else None, change.version.content)
    from ..checks import check_item

    return render(request, "catalog/change.html", {
        "change": change, "rows": rows, "events": change.events.select_related("actor"),
        "problems": check_item(change.version.content) if change.version else [],
        "can_decide": can(request.user, "catalog.decide", change.center) and change.status == ChangeStatus.SUBMITTED,
        "can_revise": (can(request.user, "catalog.propose", change.center)
                       and change.status in (ChangeStatus.DRAFT, ChangeStatus.RETURNED) and change.version is not None),
        "can_cancel": change.status in OPEN_STATUSES and cancel_refusal(request.user, change) is None,
    })


@require_POST
@proposers
def decide_view(request, change_id):
    change = _change(request, change_id)
    decision = request.POST.get("decision")
    reason = request.POST.get("reason", "")
    actions = {
        "approve": (lambda: item_change_approve(actor=request.user, change=change, reason=reason),
                    "已批准，事项已按新版本公布。"),
        "return": (lambda: item_change_return(actor=request.user, change=change, reason=reason), "已退回。"),
        "cancel": (lambda: item_change_cancel(actor=request.user, change=change), "申请已撤销。"),
    }
    call, done = actions.get(decision, (_no_decision, ""))
    apply_service(request, call, done=done)
    return redirect("catalog:change", change_id=change.pk)


def _no_decision():
    raise Invalid("决定：请选择批准、退回或撤销", field="decision")


@readers
def health_view(request):
    failing = catalogue_health(request.user)
    return render(request, "catalog/health.html", {"failing": failing, "count": sum(len(v) for v in failing.values())})


@readers
def figures_view(request):
    if request.method == "POST":
        if not can(request.user, "department.item_total"):
            raise PermissionDenied("只有营商局可以填报部门事项总数")
        pk = request.POST.get("department", "")
        department = Department.objects.filter(pk=int(pk), district__in=user_districts(request.user)).first() \
            if pk.isdigit() else None
        if department is None:
            raise NotFound("未找到该部门")
        raw = request.POST.get("item_total", "").strip()

        def record():
            try:
                total = int(raw) if raw else None
            except ValueError:
                raise Invalid("部门事项总数应为整数", field="item_total") from None
            return department_item_total_set(actor=request.user, department=department, total=total)

        apply_service(request, record, done=f"{department.name}的事项总数已保存。")
        return redirect("catalog:figures")
    rows, total = catalogue_figures(request.user)
    chart = {
        "centres": [r.center.name.replace(r.center.district.name + "行政服务中心", "") for r in rows],
        "items": [r.items for r in rows], "entry": [r.entry_rate for r in rows],
        "promised": [r.promised_avg for r in rows], "statutory": [r.statutory_avg for r in rows],
    }
    departments = Department.objects.filter(district__in=user_districts(request.user),
                                            centers__kind="branch").distinct()
    return render(request, "catalog/figures.html", {"rows": rows, "total": total, "chart": chart,
                                                    "departments": departments,
                                                    "can_edit": can(request.user, "department.item_total")})


urlpatterns = [
    path("", items_view, name="items"),
    path("new/", propose_new_view, name="propose_new"),
    path("items/<str:code>/", item_view, name="item"),
    path("items/<str:code>/compare/", compare_view, name="compare"),
    path("items/<str:code>/change/", propose_change_view, name="propose_change"),
    path("items/<str:code>/withdraw/", withdraw_view, name="withdraw"),
    path("changes/", changes_view, name="changes"),
    path("changes/<int:change_id>/", change_view, name="change"),
    path("changes/<int:change_id>/revise/", revise_view, name="revise"),
    path("changes/<int:change_id>/decide/", decide_view, name="decide"),
    path("health/", health_view, name="health"),
    path("figures/", figures_view, name="figures"),
]
