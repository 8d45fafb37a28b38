from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("", views.board, name="board"),
    path("mine/", views.mine, name="mine"),
    path("sheet/", views.sheet, name="sheet"),
    path("leaves/", views.leaves, name="leaves"),
    path("leaves/<int:leave_id>/decide/", views.leave_decide, name="leave_decide"),
    path("leaves/<int:leave_id>/change/", views.leave_change, name="leave_change"),
    path("manage/", views.manage, name="manage"),
    path("figures/", views.figures, name="figures"),
    path("windows/<int:window_id>/sign/", views.sign, name="sign"),
]
