"""BI readers during a run: a held read-only connection and reconnecting readers never fail or see a mix."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.runner import add_next_batch, copy_home, start_salestier

READER = r'''
import json, sys, time, duckdb
path, out, stop, mode = sys.argv[1:5]
held = duckdb.connect(path, read_only=True) if mode == "held" else None
with open(out, "w") as fh:
    while True:
        try:
            con = held or duckdb.connect(path, read_only=True)
            row = con.execute("""
                select (select max(as_of_date)::varchar from customer_tier_list),
                       (select max(as_of_date)::varchar from kpi_snapshot),
                       (select max(as_of_date)::varchar from rep_tier_list),
                       (select count(*) from opportunities)
            """).fetchone()
            if held is None:
                con.close()
            fh.write(json.dumps({"ok": list(row)}) + "\n")
        except Exception as exc:  # any error is a failure of the publish design
            fh.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        fh.flush()
        if __import__("os").path.exists(stop):
            break
        time.sleep(0.05)
'''


@pytest.mark.slow
def test_readers_never_fail_and_never_see_a_mix(tmp_path: Path, published_demo: Path) -> None:
    home = copy_home(published_demo, tmp_path / "home")  # the old version: published
    old, new = add_next_batch(home)
    serving = home / "serving" / "salestier.duckdb"
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen([sys.executable, "-c", READER, str(serving), str(tmp_path / f"{mode}.jsonl"),
                                str(stop), mode])
        for mode in ("held", "fresh")
    }
    time.sleep(1.0)
    run = start_salestier(home, "run", as_of=new)
    assert run.wait(timeout=1200) == 0
    time.sleep(0.5)
    stop.touch()
    for proc in readers.values():
        assert proc.wait(timeout=60) == 0

    seen: dict[str, set[str]] = {}
    for mode in readers:
        lines = [json.loads(line) for line in (tmp_path / f"{mode}.jsonl").read_text().splitlines()]
        assert len(lines) > 20, f"{mode} reader barely ran"
        errors = [line["error"] for line in lines if "error" in line]
        assert errors == [], f"{mode} reader got errors: {errors[:3]}"
        for line in lines:
            tier_date, kpi_date, rep_date, _ = line["ok"]
            assert tier_date == kpi_date == rep_date, f"{mode} reader saw a mix: {line}"
        seen[mode] = {line["ok"][0] for line in lines}
    assert seen["held"] == {old}, "a held connection keeps the version it opened"
    assert seen["fresh"] == {old, new}, "reconnecting readers move from the old to the new version"

    con = duckdb.connect(str(serving), read_only=True)
    try:
        assert str(con.execute("select max(as_of_date) from customer_tier_list").fetchone()[0]) == new
    finally:
        con.close()
