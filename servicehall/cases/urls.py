from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.new_view, name="new"),
    path("status/", views.status_view, name="status"),
    path("credit-codes/", views.credit_codes_view, name="credit_codes"),
    path("rules/", views.light_rules_view, name="light_rules"),
    path("<str:number>/", views.detail_view, name="detail"),
    path("<str:number>/act", views.act_view, name="act"),
    path("<str:number>/print/<str:kind>/", views.document_view, name="document"),
]
