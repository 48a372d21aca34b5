"""Thin Dagster assets: each reads config, calls pure code, attaches metadata."""
