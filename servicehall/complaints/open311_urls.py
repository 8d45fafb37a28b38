"""Open311 GeoReport v2 under /open311/v2/ (servicehall/complaints/open311.py): JSON only."""

from django.urls import path, re_path

from . import open311

app_name = "open311"

urlpatterns = [
    path("services.json", open311.services, name="services"),
    path("services/<str:code>.json", open311.service_definition, name="service"),
    path("requests.json", open311.request_list, name="requests"),
    path("requests/<str:number>.json", open311.request_one, name="request"),
    path("tokens/<str:token>.json", open311.token_lookup, name="token"),
    re_path(r"^(?P<resource>.+)\.xml$", open311.xml_refused, name="xml"),
]
