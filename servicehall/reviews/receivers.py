"""What reviews do when the layers below announce a finished service (their signals.py)."""

from django.dispatch import receiver

from servicehall.cases.signals import case_completed
from servicehall.queueing.signals import ticket_finished
from servicehall.workcalendar.signals import calendar_changed

from .services import invite_by_sms, invite_case_by_sms, rectifications_redate


@receiver(ticket_finished, dispatch_uid="reviews_invite_ticket")
def invite_for_ticket(sender, ticket, **kwargs) -> None:
    invite_by_sms(ticket)


@receiver(case_completed, dispatch_uid="reviews_invite_case")
def invite_for_case(sender, case, notify_applicant: bool = True, **kwargs) -> None:
    if notify_applicant:
        invite_case_by_sms(case)


@receiver(calendar_changed, dispatch_uid="reviews_redate")
def redate_rectifications(sender, actor, year: int, now, **kwargs) -> None:
    """The bureau edited or confirmed a year: move the rectification deadlines it changes
    (inside the edit's transaction, as cases do)."""
    rectifications_redate(actor=actor, year=year, now=now)
