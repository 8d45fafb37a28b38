from django.contrib import admin
from django.urls import include, path

from servicehall.api import api
from servicehall.ops.views import audit_verify_view, favicon, home_view

# Django tries the patterns in order: the API first (kiosks and windows call it all day), and
# within it the queue's routes first (servicehall/api.py).
urlpatterns = [
    path("api/v1/", api.urls),
    path("", home_view, name="home"),
    path("favicon.ico", favicon),
    path("audit-verify/", audit_verify_view, name="audit_verify"),
    path("accounts/", include("servicehall.accounts.urls")),
    path("org/", include("servicehall.org.urls")),
    path("calendar/", include("servicehall.workcalendar.urls")),
    path("audit/", include("servicehall.audit.urls")),
    path("catalog/", include("servicehall.catalog.urls")),
    path("guide/", include("servicehall.catalog.guide_urls")),
    path("inquiries/", include("servicehall.inquiries.urls")),
    path("queue/", include("servicehall.queueing.urls")),
    path("cases/", include("servicehall.cases.urls")),
    path("reviews/", include("servicehall.reviews.urls")),
    path("supervision/", include("servicehall.supervision.urls")),
    path("attendance/", include("servicehall.attendance.urls")),
    path("complaints/", include("servicehall.complaints.urls")),
    path("open311/v2/", include("servicehall.complaints.open311_urls")),
    # Clock-in terminals are set up with the server's address and push to these fixed paths.
    path("iclock/", include("servicehall.attendance.iclock_urls")),
    path("admin/", admin.site.urls),
]

handler403 = "servicehall.errors.forbidden"
handler404 = "servicehall.errors.not_found"
handler500 = "servicehall.errors.server_error"
