"""Lookups and the hall's conditional response, shared by the pages and the API."""

import json
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

from servicehall.accounts.permissions import require
from servicehall.db.caches import HALL_DOCUMENTS, WINDOWS
from servicehall.lib.errors import NotFound
from servicehall.org.models import ServiceCenter, Window
from servicehall.org.selectors import get_visible, visible_center_ids

from . import selectors
from .models import Ticket


def hall_body(center: ServiceCenter, version: str, now: datetime) -> bytes:
    """The state document for `version`, computed once per version and process."""
    body = HALL_DOCUMENTS.peek(center.pk, version)
    if body is None:
        state = selectors.hall_state(center, now)
        body = json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()
        HALL_DOCUMENTS.put(center.pk, state["version"], body)  # the version it shows: maybe newer than asked
    return body


def conditional_json(request, version: str, body_for) -> HttpResponse:
    etag = f'"{version}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body_for(), content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


def hall_response(request, center: ServiceCenter) -> HttpResponse:
    now = timezone.now()
    version = selectors.current_version(center, now)
    return conditional_json(request, version, lambda: hall_body(center, version, now))


def operable_window(user, window_id) -> Window:
    """The window, if the user may see its centre (else 404) and operate there (else 403)."""
    try:
        window = WINDOWS.get(int(window_id),
                             lambda: Window.objects.select_related("center").filter(pk=window_id).first())
    except (TypeError, ValueError):
        window = None
    if window is None or window.center_id not in visible_center_ids(user):
        raise NotFound("未找到该窗口")
    require(user, "queue.operate", window.center)
    return window


def ticket_for_operator(user, ticket_id) -> Ticket:
    ticket = get_visible(Ticket, user, ticket_id, label="排队号", related=("center", "category", "window"))
    require(user, "queue.operate", ticket.center)
    return ticket


def public_center(code: str) -> ServiceCenter:
    center = ServiceCenter.objects.filter(code=code, is_active=True).first()
    if center is None:
        raise NotFound("未找到该中心")
    return center
