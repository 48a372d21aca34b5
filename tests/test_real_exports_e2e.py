"""Real-shaped exports through a real `salestier run`, with the documented example profiles, as
downloaded: no preparation script. The published numbers are compared with counts made here by
pandas on the very files written, independently of SalesTier.

- `funnel` (docs/examples/funnel.yml): leads + closed deals linked by the lead id, dates as
  dd-MM-yyyy HH:mm, sellers known by id only, no accounts, no roster.
- `pipeline` (docs/examples/pipeline.yml): one Excel-made CSV, dates as dd-MMM-yyyy, 4,840 trailing
  blank rows, a totals row, no accounts, no roster.
"""

from __future__ import annotations

import random
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.runner import ROOT, run_salestier

AS_OF = date(2026, 11, 27)
ORIGINS = ["organic_search", "paid_search", "social", "email", ""]
AGENTS = ["Anna Snelling", "Cecily Lampkin", "Darcel Schlecht", "Vicki Laflamme", "Markita Hansen", "Wilburn Farren"]
BLANK_ROWS = 4840


def _funnel_files(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = random.Random(7)
    leads = []
    for i in range(300):
        first = datetime(2026, 1, 1) + timedelta(days=rng.randrange(0, 320), minutes=rng.randrange(0, 1440))
        leads.append({"mql_id": f"{rng.getrandbits(64):016x}", "first_contact_date": first,
                      "landing_page_id": f"lp{i % 17}", "origin": rng.choice(ORIGINS)})
    sellers = [f"{rng.getrandbits(64):016x}" for _ in range(5)]
    deals = []
    for lead in rng.sample(leads, 40):
        won = lead["first_contact_date"] + timedelta(days=rng.randrange(1, 60), hours=3)
        won = min(won, datetime(2026, 11, 26, 18, 0))
        deals.append({"mql_id": lead["mql_id"], "seller_id": rng.choice(sellers), "sr_id": "x",
                      "won_date": won, "business_segment": rng.choice(["pet", "car_accessories", "home_decor"]),
                      "lead_type": rng.choice(["online_medium", "industry"]),
                      "declared_monthly_revenue": rng.choice([0, 0, 15000, 120000])})
    leads_df, deals_df = pd.DataFrame(leads), pd.DataFrame(deals)
    fmt = "%d-%m-%Y %H:%M"
    leads_df.assign(first_contact_date=leads_df["first_contact_date"].dt.strftime(fmt)).to_csv(
        folder / "olist_marketing_qualified_leads_dataset.csv", index=False)
    deals_df.assign(won_date=deals_df["won_date"].dt.strftime(fmt)).to_csv(
        folder / "olist_closed_deals_dataset.csv", index=False)
    return leads_df, deals_df


def _pipeline_file(folder: Path) -> pd.DataFrame:
    rng = random.Random(11)
    rows = []
    for _ in range(120):
        engage = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 300))
        stage = rng.choice(["Won", "Won", "Lost", "Engaging", "Prospecting"])
        closed = stage in ("Won", "Lost")
        close = min(engage + timedelta(days=rng.randrange(5, 90)), AS_OF - timedelta(days=1)) if closed else None
        rows.append({"Opportunity ID": f"{rng.getrandbits(32):08X}", "Sales Agent": rng.choice(AGENTS),
                     "Account": rng.choice(["Acme Corp", "Betasoloin", "Cheers", "Dalttechnology", "Genco Pura"]),
                     "Sector": rng.choice(["retail", "software", "medical"]), "Region": rng.choice(["East", "West"]),
                     "Deal Stage": stage, "Engage Date": engage, "Close Date": close,
                     "Close Value": rng.randrange(100, 9000) if stage == "Won" else (0 if stage == "Lost" else None)})
    frame = pd.DataFrame(rows)
    text = frame.assign(**{c: pd.to_datetime(frame[c]).dt.strftime("%d-%b-%Y") for c in ("Engage Date", "Close Date")})
    lines = text.to_csv(index=False, lineterminator="\r\n").replace("NaN", "")
    width = len(frame.columns)
    lines += ("," * (width - 1) + "\r\n") * BLANK_ROWS  # Excel keeps formatted rows below the data
    lines += ",,,,,,,Total," + str(int(frame["Close Value"].sum())) + "\r\n"  # a totals row: no deal id
    (folder / "Pipeline 2026.csv").write_text(lines, encoding="utf-8")
    return frame


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> dict:
    home = tmp_path_factory.mktemp("real_exports")
    (home / "profiles").mkdir()
    for name in ("funnel", "pipeline"):
        shutil.copy(ROOT / "docs" / "examples" / f"{name}.yml", home / "profiles" / f"{name}.yml")
    batch = AS_OF.isoformat()
    funnel_dir = home / "landing" / "funnel" / batch
    pipeline_dir = home / "landing" / "pipeline" / batch
    funnel_dir.mkdir(parents=True)
    pipeline_dir.mkdir(parents=True)
    leads, deals = _funnel_files(funnel_dir)
    pipeline = _pipeline_file(pipeline_dir)
    result = run_salestier(home, "run")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return {"home": home, "leads": leads, "deals": deals, "pipeline": pipeline}


def _sql(home: Path, query: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(home / "serving" / "salestier.duckdb"), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_excel_pipeline_blank_rows_counted_and_totals_row_quarantined_with_its_line(home: dict) -> None:
    files = _sql(home["home"], "select rows_read, rows_loaded, rows_quarantined, rows_blank, status from ingest_files "
                               "where source_system = 'pipeline'")
    assert files == [(121, 120, 1, BLANK_ROWS, "loaded")]
    quarantined = _sql(home["home"], "select line_number, column_name, reason, action from ingest_quarantine "
                                     "where source_system = 'pipeline' order by all")
    line = 1 + 120 + BLANK_ROWS + 1  # header, deals, blank rows, then the totals row: every problem of it listed
    assert quarantined == [
        (line, "Close Date", "unparseable date for close_date (the column reads as dd-MMM-yyyy)", "row_quarantined"),
        (line, "Deal Stage", "missing stage_raw", "row_quarantined"),
        (line, "Opportunity ID", "missing record id", "row_quarantined"),
    ]


@pytest.mark.slow
def test_excel_pipeline_numbers_match_an_independent_count(home: dict) -> None:
    frame: pd.DataFrame = home["pipeline"]
    won = frame[frame["Deal Stage"] == "Won"]
    published = dict(_sql(home["home"], "select stage, count(*) from opportunities where source_system = 'pipeline' "
                                        "group by all"))
    assert published.get("closed_won") == len(won)
    assert _sql(home["home"], "select sum(amount) from opportunities where source_system = 'pipeline' and is_won") \
        == [(float(won["Close Value"].sum()),)]
    # every agent is a rep of team 'pipeline' (no roster): nobody collapses into 'unassigned'
    reps = _sql(home["home"], "select rep_name, team from rep_tier_list where as_of_date = ? and team = 'pipeline' "
                              "order by 1", [AS_OF])
    assert reps == [(a, "pipeline") for a in sorted(frame["Sales Agent"].unique())]
    assert _sql(home["home"], "select count(*) from opportunities where source_system = 'pipeline' "
                              "and owner_rep_id is null") == [(0,)]
    # accounts derived from the deals carry the deals' sector (the latest deal's)
    industries = _sql(home["home"], "select count(*), count(industry) from customer_segments s join "
                                    "customer_tier_list t using (account_id) where t.source_system = 'pipeline' "
                                    "and t.as_of_date = ?", [AS_OF])
    assert industries == [(frame["Account"].nunique(), frame["Account"].nunique())]


@pytest.mark.slow
def test_funnel_deals_take_date_and_source_from_their_lead(home: dict) -> None:
    leads: pd.DataFrame = home["leads"]
    deals: pd.DataFrame = home["deals"]
    joined = deals.merge(leads, on="mql_id")
    published = _sql(home["home"], "select source_record_id, created_at, coalesce(lead_source, '') from opportunities "
                                   "where source_system = 'funnel' order by 1")
    expected = sorted((r.mql_id, r.first_contact_date.to_pydatetime().replace(second=0),
                       r.origin if r.origin else "") for r in joined.itertuples())
    assert published == expected
    assert len(published) == 40


@pytest.mark.slow
def test_funnel_reps_and_accounts_are_derived(home: dict) -> None:
    deals: pd.DataFrame = home["deals"]
    reps = _sql(home["home"], "select rep_id from rep_tier_list where as_of_date = ? and team = 'funnel' order by 1",
                [AS_OF])
    assert [r[0] for r in reps] == sorted(deals["seller_id"].unique())
    accounts = _sql(home["home"], "select count(*) from customer_tier_list where source_system = 'funnel' "
                                  "and as_of_date = ?", [AS_OF])
    assert accounts == [(deals["mql_id"].nunique(),)]


@pytest.mark.slow
def test_lead_conversion_by_source_matches_a_hand_count(home: dict) -> None:
    leads: pd.DataFrame = home["leads"]
    deals: pd.DataFrame = home["deals"]
    window_start = pd.Timestamp(AS_OF) - pd.Timedelta(days=364)
    in_window = leads[leads["first_contact_date"].dt.normalize() >= window_start].copy()
    in_window["source"] = in_window["origin"].replace("", "unknown")
    in_window["converted"] = in_window["mql_id"].isin(deals["mql_id"])
    expected = sorted((s, len(g), int(g["converted"].sum())) for s, g in in_window.groupby("source"))
    published = _sql(home["home"], "select dimension_value, leads, converted_leads from win_analysis "
                                   "where as_of_date = ? and dimension = 'lead_source' and leads > 0 order by 1",
                     [AS_OF])
    assert published == expected
    # the funnel's stage 1 counts each prospect once: every deal (40 funnel + 120 pipeline, all created in
    # the lookback) and only the 260 leads that did not become one of the 40 deals
    [(reached, leads_reached)] = _sql(home["home"], "select reached, leads_reached from funnel_conversion where "
                                                    "as_of_date = ? and level = 'company' and stage_order = 1",
                                      [AS_OF])
    assert (reached, leads_reached) == (40 + len(home["pipeline"]), len(leads) - 40)
