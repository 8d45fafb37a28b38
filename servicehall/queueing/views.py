"""Queue pages: the kiosk, the window terminal, the hall display and window screen, the
ticket status page and the public booking pages."""

from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_GET

from servicehall.org.models import ServiceCenter

from . import selectors
from .views_common import conditional_json, hall_body


@require_GET
def display_state(request, key: str):
    """The hall display's poll: one query when nothing changed (304)."""
    found = selectors.display_lookup(key)
    if found is None:
        raise Http404("未找到该大屏")
    now = timezone.now()
    version = selectors.hall_version(found["center_id"], timezone.localdate(now), found["revision"], found["last_event"])
    return conditional_json(request, version,
                            lambda: hall_body(ServiceCenter.objects.get(pk=found["center_id"]), version, now))
