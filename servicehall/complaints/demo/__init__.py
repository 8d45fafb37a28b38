"""Demo files of the complaints app: an export of the 12345 hotline (`12345-export.xlsx`,
written by `make_12345_export.py`)."""
