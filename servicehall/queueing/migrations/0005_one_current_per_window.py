from django.db import migrations, models
from django.utils import timezone


def close_extra_current_tickets(apps, schema_editor):
    """Before the constraint: where two presses of "next" once called two tickets to one window,
    the latest call stays current and the earlier ones are closed (a called one as skipped, one
    being served as done), each with its event, as call-next itself would have."""
    Ticket = apps.get_model("queueing", "Ticket")
    TicketEvent = apps.get_model("queueing", "TicketEvent")
    now = timezone.now()
    current = Ticket.objects.filter(status__in=["called", "serving"], window__isnull=False).order_by(
        "window_id", "-called_at", "-id")
    seen = set()
    for ticket in current:
        if ticket.window_id not in seen:
            seen.add(ticket.window_id)
            continue
        to = "skipped" if ticket.status == "called" else "done"
        TicketEvent.objects.create(ticket=ticket, center_id=ticket.center_id, action="skip" if to == "skipped" else "finish",
                                   from_status=ticket.status, to_status=to, window_id=ticket.window_id, at=now,
                                   note="升级时关闭同一窗口的重复叫号")
        Ticket.objects.filter(pk=ticket.pk).update(status=to)


class Migration(migrations.Migration):

    dependencies = [
        ("queueing", "0004_counter_waiting"),
    ]

    operations = [
        migrations.RunPython(close_extra_current_tickets, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_window_current_idx",
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(condition=models.Q(("status__in", ["called", "serving"])),
                                               fields=("window",), name="ticket_one_current_per_window"),
        ),
    ]
