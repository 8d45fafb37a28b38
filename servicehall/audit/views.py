from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .actions import grouped_choices, role_label
from .models import Outcome
from .selectors import audit_reader, events_filtered, events_for_user


def audit_reader_required(view):
    """A page of the trail: signed in (else the login page), a GET, and a reader of the trail."""
    return login_required(require_safe(audit_reader(view)))


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="操作人账号", required=False)
    center = forms.CharField(label="中心编码", required=False)
    action = forms.ChoiceField(label="操作", required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label="结果", required=False, choices=[("", "全部")] + list(Outcome.choices))
    text = forms.CharField(label="对象", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "全部")] + grouped_choices()


@audit_reader_required
def events_view(request):
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        rows = events_for_user(request.user).none()  # say what is wrong rather than show everything
    else:
        filters = form.cleaned_data if form.is_bound else {}
        rows = events_filtered(request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    _names(page)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/events.html", {"form": form, "page": page, "query": query.urlencode()})


def _model_of(event):
    try:
        return apps.get_model(event.object_type) if "." in event.object_type else None
    except LookupError:
        return None


def _changes(event, model) -> list[dict]:
    """Before/after as rows labelled with the fields' Chinese names, and a coded value (a status,
    a kind) as its Chinese label: "已批准", never "approved"."""
    labels, shown = {}, {}
    if model is not None:
        for field in model._meta.concrete_fields:
            labels[field.attname] = labels[field.name] = str(field.verbose_name)
            if field.choices:
                shown[field.attname] = shown[field.name] = {str(k): str(v) for k, v in field.flatchoices}
    before, after = event.before or {}, event.after or {}
    keys = list(dict.fromkeys([*before, *after])) if isinstance(before, dict) and isinstance(after, dict) else []

    def show(key, value):
        if isinstance(value, bool):
            return "是" if value else "否"
        return shown.get(key, {}).get(str(value), value)

    return [{"label": labels.get(key, key), "before": show(key, before.get(key, "")),
             "after": show(key, after.get(key, "")), "changed": before.get(key) != after.get(key)} for key in keys]


def _names(events) -> None:
    """Each event's operator and centre by name (the trail stores account and code, as they were)."""
    events = list(events)
    users = apps.get_model(settings.AUTH_USER_MODEL).objects.filter(
        pk__in={e.actor_id for e in events if e.actor_id}).only("full_name", "username")
    centres = apps.get_model("org.ServiceCenter").objects.filter(
        pk__in={e.center_id for e in events if e.center_id}).values_list("pk", "name")
    user_names, centre_names = {u.pk: u.display_name for u in users}, dict(centres)
    for event in events:
        event.actor_name = user_names.get(event.actor_id, event.actor_username)
        event.center_name = centre_names.get(event.center_id, event.center_code)


@audit_reader_required
def event_detail_view(request, event_id):
    event = events_for_user(request.user).filter(pk=event_id).first()
    if event is None:
        raise Http404("未找到该审计记录")
    model = _model_of(event)
    _names([event])
    return render(request, "audit/event_detail.html", {
        "event": event, "changes": _changes(event, model),
        "object_label": str(model._meta.verbose_name) if model is not None else event.object_type,
        "role_label": role_label(event.actor_role),
    })
