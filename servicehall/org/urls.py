from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("centers/", views.centers_view, name="centers"),
    path("centers/new/", views.center_create_view, name="center_create"),
    path("centers/<str:code>/", views.center_detail_view, name="center"),
    path("centers/<str:code>/edit/", views.center_edit_view, name="center_edit"),
    path("centers/<str:code>/windows/new/", views.window_form_view, name="window_create"),
    path("centers/<str:code>/staff/new/", views.staff_form_view, name="staff_create"),
    path("windows/<int:window_id>/edit/", views.window_form_view, name="window_edit"),
    path("windows/<int:window_id>/post/", views.backup_post_view, name="backup_post"),
    path("staff/<int:staff_id>/", views.staff_detail_view, name="staff"),
    path("staff/<int:staff_id>/edit/", views.staff_form_view, name="staff_edit"),
]
