"""Publish: serving DuckDB (atomic swap), Parquet copies, tier lists for people."""
