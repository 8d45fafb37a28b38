"""Background tasks of the audit trail: none. Rows are chained as they are written
(services.audit_record), so nothing is left for a background sealer to do."""

TASKS = []
