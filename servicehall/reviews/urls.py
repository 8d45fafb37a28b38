from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("pad/<str:key>/", views.pad, name="pad"),
    path("pad/<str:key>/state", views.pad_state, name="pad_state"),
    path("t/<str:token>/", views.ticket_review, name="ticket"),
    path("c/<str:token>/", views.case_review, name="case"),
    path("rectifications/", views.rectification_list, name="rectifications"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("figures/", views.figures, name="figures"),
    path("appeals/", views.appeals, name="appeals"),
    path("mine/", views.my_reviews, name="mine"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification"),
]
