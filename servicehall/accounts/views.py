from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from servicehall.audit.services import audit_record
from servicehall.web import apply_service, public, requires

from .forms import AdminAccountForm, LoginForm, NewPasswordFields, PasswordChangeForm, SecurityPolicyForm
from .models import SecurityPolicy, User
from .permissions import can
from .selectors import account_events, admin_accounts, with_locks
from .services import (
    LoginRefused,
    account_action,
    account_create,
    account_password_reset,
    account_set_active,
    account_unlock,
    login_attempt,
    password_change,
    security_policy_update,
)


@public
def login_view(request):
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            user = login_attempt(username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                                 request=request)
        except LoginRefused as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user)
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}) or not next_url.startswith("/"):
                next_url = "/"
            return redirect(next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@public
@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_record(actor=request.user, action="auth.logout", obj=request.user)
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("accounts:login")


@requires("account.password")
def password_change_view(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = apply_service(request, lambda: password_change(
            actor=request.user, old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password"]), form=form, done="密码已修改。")
        if outcome:
            update_session_auth_hash(request, request.user)
            return redirect("home")
        if outcome.refusal.code == "locked":  # guessing in a left-open session ends it
            audit_record(actor=request.user, action="auth.locked_logout", obj=request.user)
            logout(request)
            messages.error(request, outcome.refusal.message)
            return redirect("accounts:login")
    return render(request, "accounts/password_change.html", {"form": form})


@requires("security_policy.edit")
def security_policy_view(request):
    policy = SecurityPolicy.current()
    form = SecurityPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        if apply_service(request, lambda: security_policy_update(actor=request.user, **{
                name: form.cleaned_data[name] for name in form.Meta.fields}), form=form, done="安全策略已保存。"):
            return redirect("accounts:security_policy")
    return render(request, "accounts/security_policy.html", {"form": form})


@requires("account.list")
def accounts_view(request):
    users = with_locks(User.objects.order_by("role", "username"), timezone.now())
    return render(request, "accounts/accounts.html", {
        "users": users,
        "events": account_events() if can(request.user, "admin_account.manage") else None,
        "unlockable": {u.pk for u in users if can(request.user, account_action(u.role, "account.unlock"))},
    })


@require_POST
@requires("account.unlock")
def unlock_view(request, user_id: int):
    user = get_object_or_404(User, pk=user_id)
    if apply_service(request, lambda: account_unlock(actor=request.user, user=user)):
        messages.success(request, f"已解除 {user.username} 的锁定。")
    return redirect("accounts:accounts")


@requires("admin_account.manage")
def admins_view(request):
    """The security admin's page for the three admins' accounts (三权分立)."""
    form = AdminAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = f"已创建管理员账号 {data['username']}，首次登录须修改密码。"
        if apply_service(request, lambda: account_create(
                actor=request.user, username=data["username"], password=data["password"], role=data["role"],
                full_name=data["full_name"]), form=form, done=done):
            return redirect("accounts:admins")
    admins = with_locks(admin_accounts(), timezone.now())
    return render(request, "accounts/admins.html", {"form": form, "admins": admins})


@requires("admin_account.manage")
def admin_password_view(request, user_id: int):
    user = get_object_or_404(admin_accounts(), pk=user_id)
    form = NewPasswordFields(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if apply_service(request, lambda: account_password_reset(
                actor=request.user, user=user, password=form.cleaned_data["password"]), form=form,
                done=f"已重置 {user.username} 的密码，其下次登录须修改密码。"):
            return redirect("accounts:admins")
    return render(request, "accounts/admin_password.html", {"form": form, "target": user})


@require_POST
@requires("admin_account.manage")
def admin_active_view(request, user_id: int):
    user = get_object_or_404(admin_accounts(), pk=user_id)
    active = request.POST.get("active") == "1"
    apply_service(request, lambda: account_set_active(actor=request.user, user=user, active=active),
                  done=f"已{'启用' if active else '停用'} {user.username}。")
    return redirect("accounts:admins")
