"""What case handling does when the layers below announce a change (their signals.py)."""

from django.dispatch import receiver

from servicehall.workcalendar.signals import calendar_changed

from .services import cases_redate


@receiver(calendar_changed, dispatch_uid="cases_redate")
def redate_cases(sender, actor, year: int, now, **kwargs) -> None:
    """The bureau edited or confirmed a year: move the due dates that edit changes (inside the
    edit's transaction, so a failure here rolls the edit back)."""
    cases_redate(actor=actor, year=year, now=now)
