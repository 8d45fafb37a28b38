from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("security/", views.security_policy_view, name="security_policy"),
    path("users/", views.accounts_view, name="accounts"),
    path("users/<int:user_id>/unlock/", views.unlock_view, name="unlock"),
    path("admins/", views.admins_view, name="admins"),
    path("admins/<int:user_id>/password/", views.admin_password_view, name="admin_password"),
    path("admins/<int:user_id>/active/", views.admin_active_view, name="admin_active"),
]
