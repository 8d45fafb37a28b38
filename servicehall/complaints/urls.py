from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_new, name="new"),
    path("figures/", views.figures, name="figures"),
    path("import/", views.hotline_import_view, name="import"),
    path("<int:complaint_id>/", views.complaint_detail, name="detail"),
    path("<int:complaint_id>/act/", views.complaint_act, name="act"),
    path("public/<str:code>/", views.public_file, name="public_file"),
    path("status/", views.public_status, name="public_status"),
]
