"""The copy into serving is checked in SQL: every published table of the candidate file has the rows of its
mart in the warehouse, no more, no fewer, the same rows (row counts and content fingerprints).

What the rows must satisfy is dbt's job (tests and enforced contracts on the marts, run before this);
this check only proves the copy is whole, so no table is reloaded into pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from salestier_pipeline.quality.fingerprint import relation_fingerprint

CHECK_SUFFIX = "copied_intact"


@dataclass(frozen=True)
class CopyCheck:
    """One table's copy: rows and fingerprint in the warehouse mart and in the candidate."""

    table: str
    warehouse_rows: int
    serving_rows: int
    warehouse_fingerprint: str
    serving_fingerprint: str

    @property
    def passed(self) -> bool:
        return (self.warehouse_rows, self.warehouse_fingerprint) == (self.serving_rows, self.serving_fingerprint)

    def text(self) -> str:
        if self.passed:
            return f"{self.table}: {self.serving_rows:,} rows copied intact"
        return (f"{self.table}: the serving copy has {self.serving_rows:,} rows (fingerprint "
                f"{self.serving_fingerprint[:12]}) but the warehouse mart has {self.warehouse_rows:,} "
                f"(fingerprint {self.warehouse_fingerprint[:12]})")


def check_copies(warehouse: Path, candidate: Path, tables: tuple[str, ...], schema: str,
                 columns: dict[str, tuple[str, ...]] | None = None) -> list[CopyCheck]:
    """Compare every table of the candidate serving file with the warehouse mart it was copied from (its
    contract's columns when given: a history table upgraded in place may hold them in another order)."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
        con.execute("ATTACH ? AS candidate (READ_ONLY)", [str(candidate)])
        checks = []
        for table in tables:
            cols = (columns or {}).get(table)
            wh_rows, wh_hash = relation_fingerprint(con, f"wh.{schema}.{table}", cols)
            sv_rows, sv_hash = relation_fingerprint(con, f"candidate.main.{table}", cols)
            checks.append(CopyCheck(table, wh_rows, sv_rows, wh_hash, sv_hash))
        return checks
    finally:
        con.close()
