"""Ingest: decode CRM export files, map them through a profile, quarantine bad rows."""
