"""Proposals, review, versions, catalogue health and figures (managers and the bureau)."""

urlpatterns: list = []
