"""Kept for tooling; production serves WSGI (measured faster here, see DESIGN.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicehall.settings")
application = get_asgi_application()
