from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_waiting(apps, schema_editor):
    """Existing counters start from a fresh count of their waiting tickets."""
    Ticket = apps.get_model("queueing", "Ticket")
    TicketCounter = apps.get_model("queueing", "TicketCounter")
    waiting = (Ticket.objects.filter(category_id=OuterRef("category_id"), day=OuterRef("day"), status="waiting",
                                     target_window__isnull=True)
               .order_by().values("category_id").annotate(n=Count("id")).values("n"))
    TicketCounter.objects.update(waiting=Coalesce(Subquery(waiting, output_field=IntegerField()), 0))


class Migration(migrations.Migration):

    dependencies = [
        ("queueing", "0003_window_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketcounter",
            name="waiting",
            field=models.IntegerField(default=0, db_default=0),
        ),
        migrations.RunPython(count_waiting, migrations.RunPython.noop),
    ]
