"""Ingest: collect partner files, read them whatever their dialect, map headings to canonical
fields, parse types and pseudonymise personal data."""
