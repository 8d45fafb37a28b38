"""What the calendar tells the apps above it (they connect receivers in their AppConfig.ready()).

- `calendar_changed(sender=CalendarRevision, actor=…, year=…, now=…)`: inside every calendar
  edit's transaction, after the edit of `year`. Sent with `send()`, not after the commit: a
  receiver that fails rolls the edit back with it (cases move the due dates the edit changes,
  in the same transaction, reading the edited calendar with `selectors.build_calendar()`).
"""

from django.dispatch import Signal

calendar_changed = Signal()
