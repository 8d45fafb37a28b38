"""A ticket's category and window are not indexed on their own (see Ticket).

Written by hand: Django's AlterField, removing the window's index, also drops every other
index on that one column, here the partial unique `ticket_one_current_per_window`, and does
not create it again. So the database drops exactly the two plain indexes (same names on
PostgreSQL and SQLite), and the state records the fields' new `db_index=False`.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {"queueing_ticket_category_id_803affb9": "category_id", "queueing_ticket_window_id_b9f0f80f": "window_id"}


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0003_time_defaults'),
        ('queueing', '0006_lean_ticket_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"', f'CREATE INDEX "{name}" ON "queueing_ticket" ("{column}")')
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='ticket',
                    name='category',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='queueing.ticketcategory', verbose_name='业务类别'),
                ),
                migrations.AlterField(
                    model_name='ticket',
                    name='window',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='org.window', verbose_name='窗口'),
                ),
            ],
        ),
    ]
