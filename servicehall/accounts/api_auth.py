"""API authentication: the browser's session (with CSRF) or a bearer key."""

from ninja.security import HttpBearer, SessionAuth

from .services import api_key_user


class BearerKey(HttpBearer):
    def authenticate(self, request, token):
        user = api_key_user(token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [BearerKey(), SessionAuth()]
