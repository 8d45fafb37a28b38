"""The queue's writes, one module per topic: `setup` (settings, categories, pauses), `tickets`
(issuing, the ticket's transition, the terminal's other buttons, transfer, expiry), `calling`
(the calling order and call-next) and `appointments`. The hand-written SQL they run is in
`servicehall/db/queue.py`. What other apps and the pages call is exported here."""

from .appointments import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointments_mark_no_show,
    clean_holder,
    slot_starts_at,
)
from .calling import ticket_call, ticket_call_next, window_queue, window_waiting_counts
from .setup import category_save, hall_org_changed, queue_settings_update, settings_for, window_pause
from .tickets import ACTIONS, contact_data_purge, ticket_act, ticket_issue, ticket_transfer, tickets_expire

__all__ = [
    "contact_data_purge",
    "ACTIONS", "appointment_book", "appointment_cancel", "appointment_check_in", "appointments_mark_no_show",
    "category_save", "clean_holder", "hall_org_changed", "queue_settings_update",
    "settings_for", "slot_starts_at", "ticket_act", "ticket_call", "ticket_call_next", "ticket_issue",
    "ticket_transfer", "tickets_expire", "window_pause", "window_queue", "window_waiting_counts",
]

