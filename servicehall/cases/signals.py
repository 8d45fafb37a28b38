"""What case handling tells the apps above it (they connect receivers in their AppConfig.ready()).

- `case_completed(sender=Case, case=…, notify_applicant=bool)`: after the commit of every
  completed case (the reviews app invites the applicant to rate it by SMS unless
  `notify_applicant` is false: a case entered afterwards, such as the demo's history).
"""

from django.dispatch import Signal

case_completed = Signal()
