"""One reporting currency on the demo (issue 12): the demo's Fxiaoke money is in CNY and Zoho's in USD.

The published numbers are checked against a conversion done here by hand: every amount the exports
gave (deals, orders, targets) times the seed's rate valid on its date, summed in Python. A naive sum
of the original amounts is far off, so a pipeline that added currencies together fails these tests.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from salestier_pipeline.quality.fingerprint import table_fingerprints
from tests.runner import ROOT, copy_home, file_bytes, run_salestier

SEED = ROOT / "dbt_project" / "seeds" / "fx_rates.csv"
CHINA_TEAM = "华东销售一部"


def seed_rates() -> dict[str, list[tuple[dt.date, Decimal]]]:
    rates: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    with SEED.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rates[row["currency"].strip().upper()].append(
                (dt.date.fromisoformat(row["valid_from"]), Decimal(row["rate_to_reporting"])))
    return {c: sorted(v) for c, v in rates.items()}


RATES = seed_rates()


def to_usd(amount: float | Decimal, currency: str, on: dt.date) -> Decimal:
    """The seed's row valid on `on` (the latest valid_from on or before it), rounded to cents."""
    value = Decimal(str(amount))
    if currency == "USD":
        return value.quantize(Decimal("0.01"), ROUND_HALF_UP)
    rate = [r for start, r in RATES[currency] if start <= on][-1]
    return (value * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)


@pytest.fixture(scope="module")
def demo(published_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's published demo, copied: two tests here run the pipeline again."""
    return copy_home(published_demo, tmp_path_factory.mktemp("currency") / "home")


def _rows(db: Path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()


def _kpi(serving: Path, kpi: str, level: str = "company", key: str = "all") -> dict:
    [row] = _rows(serving, "SELECT value, unit, period_start FROM kpi_snapshot WHERE level = ? AND level_key = ? "
                           "AND kpi = ?", [level, key, kpi])
    return row


def test_company_and_team_bookings_and_attainment_match_a_hand_conversion(demo: Path) -> None:
    serving = demo / "serving" / "salestier.duckdb"
    deals = _rows(serving, "SELECT team, amount_original, currency_original, closed_date, amount FROM opportunities "
                           "WHERE is_won")
    assert {d["currency_original"] for d in deals} == {"CNY", "USD"}, "the demo mixes two currencies"
    bookings = _kpi(serving, "bookings_qtd")
    start = bookings["period_start"]
    in_quarter = [d for d in deals if d["closed_date"] >= start]
    by_hand = sum(to_usd(d["amount_original"], d["currency_original"], d["closed_date"]) for d in in_quarter)
    naive = sum(Decimal(str(d["amount_original"])) for d in in_quarter)
    assert bookings["unit"] == "USD"
    assert Decimal(str(bookings["value"])) == by_hand
    assert naive > by_hand * Decimal("1.5"), "adding CNY to USD would be far off"

    # the China team: CNY deals against a CNY team target, both converted (the target at its period's start)
    team_deals = [d for d in in_quarter if d["team"] == CHINA_TEAM]
    assert team_deals and {d["currency_original"] for d in team_deals} == {"CNY"}
    team_bookings = sum(to_usd(d["amount_original"], "CNY", d["closed_date"]) for d in team_deals)
    with (demo / "landing" / "reference" / "targets.csv").open(encoding="utf-8-sig") as f:
        [target_row] = [r for r in csv.DictReader(f) if not r["rep_id"] and r["team"] == CHINA_TEAM
                        and dt.date.fromisoformat(r["period_start"]) == start]
    assert target_row["currency"] == "CNY"
    team_target = to_usd(Decimal(target_row["target_amount"]), "CNY", start)
    assert Decimal(str(_kpi(serving, "bookings_qtd", "team", CHINA_TEAM)["value"])) == team_bookings
    assert Decimal(str(_kpi(serving, "target_amount_qtd", "team", CHINA_TEAM)["value"])) == team_target
    attainment = (team_bookings / team_target).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert Decimal(str(_kpi(serving, "attainment_qtd", "team", CHINA_TEAM)["value"])) == attainment


def abc_classes(monetary: dict[str, Decimal]) -> dict[str, str]:
    """SPEC §4 by hand: ranked by monetary, cumulative share (ties together) <= 80 % A, <= 95 % B, else C;
    the largest account is always A."""
    total = sum(monetary.values())
    classes = {}
    for account, value in monetary.items():
        share = (sum(v for v in monetary.values() if v >= value) / total).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        classes[account] = ("A" if share <= Decimal("0.8") or value == max(monetary.values())
                            else "B" if share <= Decimal("0.95") else "C")
    return classes


def test_abc_classes_rank_converted_purchases(demo: Path) -> None:
    """Both demo sources export orders, so purchases are orders: converted at each order's date."""
    warehouse = demo / "warehouse" / "warehouse.duckdb"
    serving = demo / "serving" / "salestier.duckdb"
    [as_of] = {r["as_of_date"] for r in _rows(serving, "SELECT DISTINCT as_of_date FROM customer_segments")}
    orders = _rows(warehouse, "SELECT account_id, order_date, amount_original, currency_original "
                              "FROM intermediate.int_orders WHERE is_counted AND account_id IS NOT NULL "
                              "AND order_date <= ? AND order_date > ? - INTERVAL 365 DAY", [as_of, as_of])
    assert {o["currency_original"] for o in orders} == {"CNY", "USD"}
    monetary: dict[str, Decimal] = defaultdict(Decimal)
    for o in orders:
        monetary[o["account_id"]] += to_usd(o["amount_original"], o["currency_original"], o["order_date"])
    published = {r["account_id"]: r for r in _rows(
        serving, "SELECT account_id, abc_class, rfm_monetary, currency FROM customer_segments")}
    for account, value in monetary.items():
        assert Decimal(str(published[account]["rfm_monetary"])) == value, account
        assert published[account]["currency"] == "USD"
    expected = abc_classes(monetary)
    assert {a for a, r in published.items() if r["abc_class"] in ("A", "B", "C")} == set(expected)
    assert {a: published[a]["abc_class"] for a in expected} == expected
    by_source = defaultdict(lambda: defaultdict(int))
    for account, klass in expected.items():
        by_source[account.split(":")[0]][klass] += 1
    assert by_source["fxiaoke"]["A"] and by_source["zoho"]["A"], dict(by_source)


def test_the_thread_count_does_not_change_a_published_byte(demo: Path) -> None:
    """The demo rebuilt with one DuckDB thread instead of four: every published table has the same fingerprint
    (money is DECIMAL, rates and scores are rounded once before any text or rank)."""
    serving = demo / "serving" / "salestier.duckdb"
    four = table_fingerprints(serving)
    run = run_salestier(demo, "run", extra_env={"SALESTIER_DUCKDB_THREADS": "1", "SALESTIER_DBT_THREADS": "1"})
    assert run.returncode == 0, run.stderr[-4000:]
    assert table_fingerprints(serving) == four


def test_a_currency_without_a_rate_fails_the_run_by_name_and_publishes_nothing(demo: Path) -> None:
    """A deal in CHF (no rate in the seed) stops the run: the error names CHF and the date; served files stay."""
    served_before = file_bytes(demo / "serving")
    exports_before = file_bytes(demo / "exports")
    latest = sorted((demo / "landing" / "zoho").iterdir())[-1]
    deals = latest / "Deals.csv"
    original = deals.read_bytes()
    text = original.decode("utf-8-sig")
    header = next(csv.reader([text.splitlines()[0]]))
    row = dict.fromkeys(header, "")
    row.update({"Record Id": "zcrm_chf_1", "Deal Owner": "James Hill", "Deal Name": "Swiss deal", "Amount": "5000.00",
                "Currency": "CHF", "Closing Date": "11/20/2026", "Stage": "Closed Won",
                "Created Time": "10/01/2026 09:00:00", "Modified Time": "11/20/2026 10:00:00"})
    line = ",".join(row[h] for h in header)
    deals.write_bytes(original + (b"" if original.endswith(b"\n") else b"\r\n") + line.encode() + b"\r\n")
    try:
        run = run_salestier(demo, "run")
        out = run.stdout + run.stderr
        assert run.returncode != 0
        assert "no FX rate for CHF on 2026-11-20 to USD" in out, out[-3000:]
        assert file_bytes(demo / "serving") == served_before
        assert file_bytes(demo / "exports") == exports_before
        status = run_salestier(demo, "status")
        assert "CHF" in status.stdout + status.stderr
    finally:
        deals.write_bytes(original)
