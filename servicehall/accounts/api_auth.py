"""API authentication: the browser's session (with CSRF) or a bearer key; with an action, the
permission check (accounts.permissions) runs as soon as the caller is known, before the request
is read, so a role that may not act is refused (403) whatever it sent."""

from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from servicehall.lib.errors import Forbidden

from . import permissions
from .services import api_key_user


class _Checked:
    """Refuses a caller whose role may not do `action` (the centre is checked by the operation,
    once it knows which)."""

    action: str | None = None

    def checked(self, user):
        if user is not None and self.action is not None and not permissions.can(user, self.action):
            raise Forbidden(permissions.rule(self.action).refusal)
        return user


class BearerKey(_Checked, HttpBearer):
    def __init__(self, action: str | None = None):
        super().__init__()
        self.action = action

    def authenticate(self, request, token):
        user = api_key_user(token)
        if user is not None:
            request.user = user
        return self.checked(user)


class SessionAuth(_Checked, NinjaSessionAuth):
    def __init__(self, action: str | None = None):
        super().__init__()
        self.action = action

    def _get_key(self, request):
        """The CSRF check guards a signed-in session; a request with no session (and no key) is
        simply not authenticated: 401, not the CSRF refusal's 403."""
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        return self.checked(super().authenticate(request, key))


def permitted(action: str) -> list:
    """The `auth` of an API operation that does `action`: a key or a session whose role may."""
    return [BearerKey(action), SessionAuth(action)]


API_AUTH = [BearerKey(), SessionAuth()]
