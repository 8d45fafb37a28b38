"""Background tasks of the audit trail: none. The chain is added by the database in the
transaction that writes each row (chain.py), so nothing is left for a background loop."""

TASKS = []
