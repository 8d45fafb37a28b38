"""`{% can "case.handle" case.center as may_handle %}`: the permission check in a template, so a
page shows a link or button only to someone who may follow it (accounts.permissions)."""

from django import template

from servicehall.accounts import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action: str, center=None) -> bool:
    return permissions.can(context["request"].user, action, center)
