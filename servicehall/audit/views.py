from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from servicehall.web import role_required

from .models import Outcome
from .selectors import AUDIT_READERS, events_filtered, events_for_user


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="操作人账号", required=False)
    center = forms.CharField(label="中心编码", required=False)
    action = forms.CharField(label="操作", required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.ChoiceField(label="结果", required=False, choices=[("", "全部")] + list(Outcome.choices))
    text = forms.CharField(label="对象", required=False)


@role_required(*AUDIT_READERS)
def events_view(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = events_filtered(request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/events.html", {"form": form, "page": page, "query": query.urlencode()})


@role_required(*AUDIT_READERS)
def event_detail_view(request, event_id):
    event = events_for_user(request.user).filter(pk=event_id).first()
    if event is None:
        raise Http404("未找到该审计记录")
    return render(request, "audit/event_detail.html", {"event": event})
