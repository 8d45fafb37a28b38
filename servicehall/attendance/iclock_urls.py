"""The iclock protocol's fixed paths (devices are configured with the server's address only)."""

from django.urls import path

from . import views

urlpatterns = [
    path("cdata", views.cdata, name="iclock_cdata"),
    path("getrequest", views.getrequest, name="iclock_getrequest"),
]
