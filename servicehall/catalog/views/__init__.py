"""Catalogue pages, one module per audience: `manage` (branch managers and the bureau),
`excel` (import and export), `guide` (the public guide and the information desk)."""
