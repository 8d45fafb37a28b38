"""Speed code, kept apart from the rules: what the busiest requests do by hand instead of
through the ORM, and what they keep in per-process memory. Each module's docstring says what
it costs and what it saves; none imports an app (tables are named by model label).

- `rows`: one-statement inserts, compare-and-set updates with their history row, and reading
  rows back into models; saves the ORM's query building on every ticket, call and receipt.
- `queue`: the queue's statements (issuing, the calling order, call-next, the waiting counts,
  the hall's event mark).
- `cases`: the receipt's statements (the case's number, the one-statement accepted case).
- `plans`: statements planned for their own values on every run, and both plans of one.
- `hotcache`, `caches`: per-process memory, and the list of every cache with its staleness.

The rules these statements implement are in the apps' services; on SQLite the same rules run
as Python steps, and the suite runs on both databases to hold the twins together.
"""
