from django.urls import path

from . import views

app_name = "inquiries"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.new_view, name="new"),
    path("<int:inquiry_id>/", views.detail_view, name="detail"),
    path("<int:inquiry_id>/answer/", views.answer_view, name="answer"),
    path("<int:inquiry_id>/hand-over/", views.hand_over_view, name="hand_over"),
    path("<int:inquiry_id>/close/", views.close_view, name="close"),
]
