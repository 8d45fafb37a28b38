"""What the queue tells the apps above it (they connect receivers in their AppConfig.ready()).

- `ticket_finished(sender=Ticket, ticket=…)`: after the commit of every finished ticket (the
  reviews app invites the citizen to rate it by SMS).
"""

from django.dispatch import Signal

ticket_finished = Signal()
