"""The public guide (办事指南, no login) and the information desk (综合资讯台, staff).

Public pages show published items only and never personal data. `?mode=kiosk` (or the
`/guide/kiosk/` entry) renders the same pages for the hall's portrait touch screen: large
type, big buttons, a letter keyboard for pinyin initials (the kiosk has no keyboard), and a
return to the start page when left alone.
"""

from functools import wraps
from string import ascii_lowercase
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path, reverse
from django.utils.safestring import mark_safe

from servicehall.accounts.permissions import can
from servicehall.lib.errors import NotFound
from servicehall.lib.links import public_url
from servicehall.lib.qr import qr_svg
from servicehall.web import public, requires

from ..selectors import (
    QUERY_MAX_LENGTH,
    case_type_label,
    item_type_label,
    public_center,
    public_centers,
    public_item_guide,
    public_items,
    public_windows,
    windows_for_items,
)

KIOSK = "kiosk"
SEARCH_LIMIT = 100        # results shown on a search page; more asks for a narrower query
KIOSK_IDLE_SECONDS = 120  # a kiosk page left alone goes back to the start page


def _query(request) -> str:
    return (request.GET.get("q") or "").strip()[:QUERY_MAX_LENGTH]


def _kiosk_keys(path: str, q: str) -> list[dict]:
    """The kiosk's letter keys: each is a link that appends its letter to the query."""
    def href(text):
        return f"{path}?{urlencode({'mode': KIOSK, 'q': text})}" if text else f"{path}?mode={KIOSK}"

    keys = [{"label": c.upper(), "href": href(q + c)} for c in ascii_lowercase]
    keys.append({"label": "退格", "href": href(q[:-1]), "wide": True})
    keys.append({"label": "清空", "href": href(""), "wide": True})
    return keys


def _page(request, template: str, context: dict, *, kiosk: bool | None = None, status: int = 200):
    kiosk = request.GET.get("mode") == KIOSK if kiosk is None else kiosk
    home = reverse("guide:kiosk") if kiosk else reverse("guide:index")
    context.update(
        kiosk=kiosk, mode_query=f"?mode={KIOSK}" if kiosk else "",
        guide_home=home, idle_seconds=KIOSK_IDLE_SECONDS,
    )
    if kiosk and "q" in context:
        context["keys"] = _kiosk_keys(request.path, context["q"])
    # Any kiosk page but the bare start page returns to it when nobody touches the screen.
    context["idle_return"] = kiosk and (request.path != reverse("guide:kiosk") or bool(context.get("q")))
    return render(request, template, context, status=status)


def public_page(view):
    """A public guide page: an unknown or unpublished item or centre is the guide's 404."""
    @public
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            return _page(request, "guide/not_found.html", {"message": exc.message}, status=404)

    return wrapped


def _results(items) -> tuple[list, bool]:
    rows = list(items[:SEARCH_LIMIT + 1])
    return rows[:SEARCH_LIMIT], len(rows) > SEARCH_LIMIT


@public_page
def index_view(request, kiosk: bool | None = None):
    q = _query(request)
    context = {"q": q, "centers": [c for c in public_centers() if c.item_count or c.is_branch]}
    if q:
        context["results"], context["more"] = _results(public_items(q=q))
    return _page(request, "guide/index.html", context, kiosk=kiosk)


@public
def kiosk_view(request):
    return index_view(request, kiosk=True)


@public_page
def center_view(request, code: str):
    center = public_center(code)
    q = _query(request)
    items, more = _results(public_items(center_code=center.code, q=q))
    return _page(request, "guide/center.html", {
        "center": center, "windows": public_windows(center), "q": q, "results": items, "more": more,
    })


@public_page
def item_view(request, code: str):
    guide = public_item_guide(code)
    # The code points at the item's plain address (not the kiosk's): a citizen scans it at
    # the kiosk or on a printout and reads it on a phone.
    path_ = reverse("guide:item", args=[guide.item.code])
    url = public_url(path_)
    return _page(request, "guide/item.html", {"g": guide, "data": guide.data, "url": url, "qr": mark_safe(qr_svg(url))})


@requires("guide.desk")
def desk_view(request):
    """综合资讯台: staff find any published item of any centre, with where it is handled."""
    q = _query(request)
    center_code = request.GET.get("center") or ""
    centers = [c for c in public_centers() if c.item_count]
    if center_code and center_code not in {c.code for c in centers}:
        center_code = ""
    rows, more = [], False
    if q or center_code:
        rows, more = _results(public_items(center_code=center_code or None, q=q))
    windows = windows_for_items(rows)
    results = [{"item": i, "windows": windows[i.pk], "item_type": item_type_label(i.current_version.item_type),
                "case_type": case_type_label(i.current_version.case_type),
                "phone": i.current_version.data.get("consult_phone") or i.center.phone} for i in rows]
    return render(request, "guide/desk.html", {
        "q": q, "center_code": center_code, "centers": centers, "results": results, "more": more,
        "searched": bool(q or center_code),
        "can_log": can(request.user, "inquiry.log"),  # first-inquiry log (首问登记)
    })


urlpatterns = [
    path("", index_view, name="index"),
    path("kiosk/", kiosk_view, name="kiosk"),
    path("centers/<str:code>/", center_view, name="center"),
    path("items/<str:code>/", item_view, name="item"),
    path("desk/", desk_view, name="desk"),
]
