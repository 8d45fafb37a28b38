"""Excel import and export pages: `/catalog/import/` (branch managers and the bureau) and
`/catalog/export.xlsx` (anyone with business access, over the centres they may see)."""

from django import forms
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone

from servicehall.accounts.permissions import can
from servicehall.lib.exports import download
from servicehall.org.models import ServiceCenter
from servicehall.org.selectors import center_for_user
from servicehall.web import requires

from ..excel import MAX_FILE_BYTES, catalog_export, import_steps
from ..models import ServiceItem


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel文件", help_text="“导出”得到的 .xlsx 文件格式；不超过10MB")
    center = forms.ModelChoiceField(label="导入到中心", queryset=ServiceCenter.objects.none(), required=False,
                                    to_field_name="code", empty_label="按表中“中心编码”列",
                                    help_text="选择后，表中“中心编码”可留空，填写的须与所选中心一致")

    def __init__(self, *args, centers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["center"].queryset = centers

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"文件不能超过{MAX_FILE_BYTES // 1024 // 1024}MB")
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的 Excel 文件")
        return upload


def _manageable_centers(user):
    ids = [c.pk for c in ServiceCenter.objects.for_user(user) if can(user, "catalog.propose", c)]
    return ServiceCenter.objects.filter(pk__in=ids).order_by("code")


PROGRESS_MARK = "<!--progress-->"


@requires("catalog.propose")
def import_view(request):
    form = ImportForm(request.POST or None, request.FILES or None, centers=_manageable_centers(request.user))
    if request.method == "POST" and form.is_valid():
        steps = import_steps(actor=request.user, file=form.cleaned_data["file"], center=form.cleaned_data["center"])
        return StreamingHttpResponse(_stream(request, steps), content_type="text/html; charset=utf-8")
    return render(request, "catalog/excel/import.html", {
        "form": form, "export_centers": ServiceCenter.objects.for_user(request.user).order_by("code"),
    })


def _stream(request, steps):
    """The import page, sent while the import runs: a progress line every few rows (the page
    shows only the last one, no script needed), then the result and the per-row report."""
    head, tail = render_to_string("catalog/excel/importing.html", {}, request=request).split(PROGRESS_MARK)
    yield head
    every, report = 1, None
    while report is None:
        try:
            done, total = next(steps)
        except StopIteration as finished:
            report = finished.value
            break
        every = max(1, total // 50)
        if done % every == 0 or done == total:
            yield f'<p class="progress-line" data-done="{done}">已处理 {done}/{total} 行</p>\n'
    yield render_to_string("catalog/excel/_result.html", {"report": report}, request=request)
    yield tail


@requires("catalog.export")
def export_view(request):
    items = ServiceItem.objects.for_user(request.user)
    code = request.GET.get("center", "").strip()
    name = "事项清单"
    if code:
        center = center_for_user(request.user, code)  # NotFound (404) for a centre the user may not see
        items = items.filter(center=center)
        name += f"-{center.code}"
    return download(catalog_export(items), f"{name}-{timezone.localdate():%Y%m%d}.xlsx")


urlpatterns = [
    path("import/", import_view, name="import"),
    path("export.xlsx", export_view, name="export"),
]
