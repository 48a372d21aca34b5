"""Tests of the demo export generator (salestier_pipeline/demo).

The demo is what `make run` feeds the pipeline, so these tests pin down what
ingest and dbt rely on: layout, encodings, headers the profiles recognise,
clean parseable values, determinism, and the business patterns every mart
needs (won / lost / open / overdue / stalled deals, lifecycle stages, ...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from salestier_pipeline.demo import __main__ as cli
from salestier_pipeline.demo import roster
from salestier_pipeline.demo.generate import generate_demo

AS_OF = dt.date(2026, 11, 27)
AS_OF_TS = pd.Timestamp(AS_OF)
PROFILES = Path(__file__).resolve().parents[1] / "salestier_pipeline" / "profiles"
SCALE = 0.2
# file name -> profile module key it must be detected as
ZOHO_FILES = {
    "Accounts.csv": "accounts", "Contacts.csv": "contacts", "Leads.csv": "leads",
    "Deals.csv": "opportunities", "Calls.csv": "calls", "Meetings.csv": "meetings",
    "Tasks.csv": "tasks", "Sales_Orders.csv": "orders", "Cases.csv": "cases",
}
FX_FILES = {
    "客户": "accounts", "联系人": "contacts", "销售线索": "leads", "商机": "opportunities",
    "销售记录": "activities", "销售订单": "orders", "回访记录": "feedback",
}
_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


def _norm(header: str) -> str:
    """Header normalisation of SPEC §1.2: NFKC, trim, lower case, drop a trailing '(...)'."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    text = _SUFFIX.sub("", text) or text
    return re.sub(r"\s+", " ", text).strip()


def _profile(name: str) -> dict:
    return yaml.safe_load((PROFILES / f"{name}.yml").read_text(encoding="utf-8"))


def _aliases(module: dict) -> dict[str, tuple[set[str], bool]]:
    out = {}
    for col, spec in module["columns"].items():
        headers = spec["headers"] if isinstance(spec, dict) else spec
        required = bool(spec.get("required")) if isinstance(spec, dict) else False
        out[col] = ({_norm(h) for h in headers}, required)
    return out


def _best_module(headers: list[str], profile: dict) -> str | None:
    """Module whose required headers are all present and which maps the most columns."""
    present = {_norm(h) for h in headers}
    best, best_score = None, -1
    for key, module in profile["modules"].items():
        cols = _aliases(module)
        if any(req and not (alias & present) for alias, req in cols.values()):
            continue
        score = sum(bool(alias & present) for alias, _ in cols.values())
        if score > best_score:
            best, best_score = key, score
    return best


def _files(landing: Path, source: str) -> list[Path]:
    return sorted(p for p in (landing / source).glob("*/*") if p.is_file())


def _module_of(path: Path) -> str:
    if path.parent.parent.name == "zoho":
        return ZOHO_FILES[path.name]
    return FX_FILES[path.name.split("_")[0]]


def _read(path: Path) -> pd.DataFrame:
    """Read one export file as text, the way the CRM wrote it."""
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=object, engine="openpyxl").fillna("")
    encoding = "utf-8-sig" if path.parent.parent.name == "zoho" else (
        "gb18030" if path.name.startswith("商机") else "utf-8")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def _latest(landing: Path, source: str, module: str, key: list[str]) -> pd.DataFrame:
    """Union of a module's batches, keeping the latest version of each record."""
    frames = [_read(p) for p in _files(landing, source) if _module_of(p) == module]
    return pd.concat(frames, ignore_index=True).drop_duplicates(key, keep="last")


def _amount(text: pd.Series) -> pd.Series:
    cleaned = text.astype(str).str.replace(r"[¥￥,元]", "", regex=True)
    return pd.to_numeric(cleaned, errors="raise")


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("demo") / "landing"
    return root, generate_demo(root, seed=42, scale=SCALE, as_of=AS_OF)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "a", seed=7, scale=0.1, as_of=AS_OF)
    b = generate_demo(tmp_path / "b", seed=7, scale=0.1, as_of=AS_OF)
    assert a["rows"] == b["rows"]
    da, db = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert da and da == db
    c = generate_demo(tmp_path / "c", seed=8, scale=0.1, as_of=AS_OF)
    assert c["rows"] != a["rows"] or _digest(tmp_path / "c") != da


def test_layout_and_summary(landing: tuple[Path, dict]) -> None:
    root, summary = landing
    dates = [(AS_OF - dt.timedelta(days=d)).isoformat() for d in (21, 14, 7, 0)]
    assert summary["export_dates"] == dates
    assert (root / "reference" / "reps.csv").is_file()
    assert (root / "reference" / "targets.csv").is_file()
    for source in ("zoho", "fxiaoke"):
        assert sorted(p.name for p in (root / source).iterdir()) == dates
        for module, per_date in summary["rows"][source].items():
            assert per_date[dates[0]] > 0, (source, module)  # first batch = full history
    first = {p.name for p in (root / "zoho" / dates[0]).iterdir()}
    assert first == set(ZOHO_FILES)
    fx_first = {p.name.split("_")[0] for p in (root / "fxiaoke" / dates[0]).iterdir()}
    assert fx_first == set(FX_FILES)
    # one later batch per source omits a module entirely (carry-over downstream)
    assert not (root / "zoho" / dates[2] / "Leads.csv").exists()
    assert not list((root / "fxiaoke" / dates[2]).glob("回访记录_*"))
    assert summary["skipped"] == {"zoho": {dates[2]: "leads"}, "fxiaoke": {dates[2]: "feedback"}}


def test_encodings(landing: tuple[Path, dict]) -> None:
    root, _ = landing
    for path in _files(root, "zoho"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path
    fx = _files(root, "fxiaoke")
    gbk = [p for p in fx if p.name.startswith("商机")]
    assert gbk
    for path in gbk:
        raw = path.read_bytes()
        raw.decode("gb18030")
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    for path in fx:
        if path.suffix == ".csv" and not path.name.startswith("商机"):
            path.read_bytes().decode("utf-8")
    xlsx = [p for p in fx if p.suffix == ".xlsx"]
    assert xlsx
    wb = openpyxl.load_workbook(xlsx[0], read_only=True)
    assert wb.active.max_row > 1
    assert wb.properties.created == dt.datetime(2026, 1, 1)


def test_every_header_is_recognised_by_its_profile(landing: tuple[Path, dict]) -> None:
    root, _ = landing
    for source in ("zoho", "fxiaoke"):
        profile = _profile(source)
        for path in _files(root, source):
            headers = list(_read(path).columns)
            expected = _module_of(path)
            assert _best_module(headers, profile) == expected, path
            known = set().union(*(a for a, _ in _aliases(profile["modules"][expected]).values()))
            unknown = [h for h in headers if _norm(h) not in known]
            assert not unknown, (path, unknown)


def test_both_alias_kinds_are_exercised(landing: tuple[Path, dict]) -> None:
    root, _ = landing
    leads = _read(root / "zoho" / AS_OF.isoformat() / "Leads.csv")
    assert {"Lead_Status", "Full_Name", "Created_Time"} <= set(leads.columns)  # API names
    deals = _read(root / "zoho" / AS_OF.isoformat() / "Deals.csv")
    assert "Probability (%)" in deals.columns  # UI labels
    contacts = next(p for p in _files(root, "fxiaoke") if p.name.startswith("联系人"))
    assert {"客戶名稱", "創建時間"} <= set(_read(contacts).columns)  # Traditional Chinese
    opps = next(p for p in _files(root, "fxiaoke") if p.name.startswith("商机"))
    assert {"商机名称", "阶段状态"} <= set(_read(opps).columns)  # Simplified Chinese


def test_reference_files(landing: tuple[Path, dict]) -> None:
    root, _ = landing
    reps_text = (root / "reference" / "reps.csv").read_text(encoding="utf-8")
    assert reps_text.splitlines()[0] == "rep_id,rep_name,manager_rep_id,team,region,hire_date,level"
    targets_text = (root / "reference" / "targets.csv").read_text(encoding="utf-8")
    assert targets_text.splitlines()[0] == "rep_id,team,period_start,period_end,target_amount,currency"
    reps = pd.read_csv(io.StringIO(reps_text), dtype=str, keep_default_na=False)
    assert set(reps["region"]) == {"International", "China"}
    managers = reps[reps["level"] == "manager"]
    assert len(managers) == reps["team"].nunique()
    assert set(reps.loc[reps["level"] != "manager", "manager_rep_id"]) == set(managers["rep_id"])
    pd.to_datetime(reps["hire_date"], format="%Y-%m-%d")
    targets = pd.read_csv(io.StringIO(targets_text), dtype=str, keep_default_na=False)
    team_rows = targets[targets["rep_id"] == ""]
    assert len(team_rows) and set(team_rows["team"]) == set(reps["team"])
    assert set(targets["rep_id"]) - {""} <= set(reps.loc[reps["level"] != "manager", "rep_id"])
    assert (pd.to_numeric(targets["target_amount"]) > 0).all()
    starts = pd.to_datetime(targets["period_start"], format="%Y-%m-%d")
    assert starts.min() <= pd.Timestamp(AS_OF - dt.timedelta(days=730))
    assert starts.max() <= AS_OF_TS
    # CRM owners resolve to the roster by name, and managers own no accounts
    za = _latest(root, "zoho", "accounts", ["Record Id"])
    fa = _latest(root, "fxiaoke", "accounts", ["客户名称"])
    sellers = set(reps.loc[reps["level"] != "manager", "rep_name"])
    assert set(za["Account Owner"]) <= sellers
    assert set(fa["负责人"]) <= sellers


def test_roster_shape_scales() -> None:
    start = AS_OF - dt.timedelta(days=730)
    one = roster.build_roster(np.random.default_rng(1), 1.0, start, AS_OF)
    sellers = one[one["level"] != "manager"]
    assert len(sellers) == 12 and (one["level"] == "manager").sum() == 3
    assert one.groupby("region")["team"].nunique().to_dict() == {"China": 1, "International": 2}
    assert sellers["source"].map({"zoho": "International", "fxiaoke": "China"}).eq(
        sellers["region"]).all()
    big = roster.build_roster(np.random.default_rng(1), 10.0, start, AS_OF)
    assert (big["level"] != "manager").sum() == 120
    assert big.groupby("region")["team"].nunique().min() >= 3


def test_row_counts_scale(landing: tuple[Path, dict], tmp_path: Path) -> None:
    _, big = landing
    small = generate_demo(tmp_path / "small", seed=42, scale=SCALE / 2, as_of=AS_OF)
    for source in ("zoho", "fxiaoke"):
        for module in ("accounts", "opportunities", "activities", "leads"):
            ratio = big["records"][source][module] / small["records"][source][module]
            assert 1.6 <= ratio <= 2.4, (source, module, ratio)


def test_values_are_clean(landing: tuple[Path, dict]) -> None:
    root, _ = landing
    formats = {
        "zoho": {"Created Time": "%m/%d/%Y %H:%M:%S", "Modified Time": "%m/%d/%Y %H:%M:%S",
                 "Closing Date": "%m/%d/%Y", "Due Date": "%m/%d/%Y",
                 "Call Start Time": "%m/%d/%Y %H:%M:%S", "Start DateTime": "%m/%d/%Y %H:%M:%S",
                 "Last Activity Time": "%m/%d/%Y %H:%M:%S",
                 "Created_Time": "%Y-%m-%d %H:%M:%S", "Modified_Time": "%Y-%m-%d %H:%M:%S"},
        "fxiaoke": {"创建时间": "%Y-%m-%d %H:%M", "創建時間": "%Y-%m-%d %H:%M", "最后修改时间": "%Y-%m-%d %H:%M",
                    "最後修改時間": "%Y-%m-%d %H:%M", "阶段变更时间": "%Y-%m-%d %H:%M",
                    "最后跟进时间": "%Y-%m-%d %H:%M", "回访时间": "%Y-%m-%d %H:%M",
                    "预计成交日期": "%Y-%m-%d", "下单日期": "%Y/%m/%d"},
    }
    amounts = {"Amount", "Grand Total", "Annual Revenue", "商机金额", "销售订单金额（元）", "年营业额"}
    for source in ("zoho", "fxiaoke"):
        for path in _files(root, source):
            df = _read(path)
            cut = pd.Timestamp(path.parent.name) + pd.Timedelta(days=1)
            for col in df.columns:
                values = df[col][df[col].astype(str) != ""]
                if col in formats[source] and not (path.suffix == ".xlsx" and col == "创建时间"):
                    parsed = pd.to_datetime(values, format=formats[source][col])
                    if col not in ("Closing Date", "预计成交日期"):
                        assert (parsed < cut).all(), (path, col)  # nothing from the future
                if col in amounts:
                    assert (_amount(values) > 0).all(), (path, col)
    feedback_z = _latest(root, "zoho", "cases", ["Case Number"])
    assert feedback_z["Satisfaction"].astype(int).between(1, 5).all()
    feedback_f = _latest(root, "fxiaoke", "feedback", ["客户名称", "回访时间"])
    assert feedback_f["评分"].astype(int).between(0, 10).all()
    prob = _latest(root, "zoho", "opportunities", ["Record Id"])["Probability (%)"].astype(int)
    assert prob.between(0, 100).all()


def test_natural_keys_are_unique_per_file(landing: tuple[Path, dict]) -> None:
    root, _ = landing
    keys = {"accounts": ["客户名称"], "opportunities": ["商机名称", "客户名称"],
            "contacts": ["姓名", "客戶名稱"], "leads": ["姓名", "公司名称"],
            "activities": ["创建时间", "创建人", "关联对象", "跟进内容"],
            "orders": ["销售订单编号"], "feedback": ["客户名称", "回访时间"]}
    for path in _files(root, "fxiaoke"):
        df = _read(path)
        assert not df.duplicated(keys[_module_of(path)]).any(), path
    for path in _files(root, "zoho"):
        df = _read(path)
        assert not df.duplicated(df.columns[0]).any(), path  # Record Id / SO / Case Number


def test_later_batches_carry_changed_records(landing: tuple[Path, dict]) -> None:
    root, _ = landing
    batches = [pd.read_csv(p, dtype=str, keep_default_na=False).assign(batch=p.parent.name)
               for p in sorted((root / "zoho").glob("*/Deals.csv"))]
    first = batches[0].set_index("Record Id")
    later = pd.concat(batches[1:])
    again = later[later["Record Id"].isin(first.index)]
    assert len(again) > 0
    moved = again["Stage"].to_numpy() != first.loc[again["Record Id"], "Stage"].to_numpy()
    assert moved.any()
    assert len(later) < len(batches[0])  # incremental, not full copies


def test_business_patterns_exist(landing: tuple[Path, dict]) -> None:
    root, _ = landing
    zd = _latest(root, "zoho", "opportunities", ["Record Id"])
    za = _latest(root, "zoho", "accounts", ["Record Id"])
    close = pd.to_datetime(zd["Closing Date"], format="%m/%d/%Y")
    won = zd["Stage"].eq("Closed Won")
    lost = zd["Stage"].str.startswith("Closed Lost")
    is_open = ~won & ~lost
    assert won.any() and lost.any() and is_open.any()
    assert (is_open & (close < AS_OF_TS)).any()  # overdue
    modified = pd.to_datetime(zd["Modified Time"], format="%m/%d/%Y %H:%M:%S")
    assert (is_open & (modified < AS_OF_TS - pd.Timedelta(days=60))).any()  # stalled
    assert set(zd["Account Name"]) <= set(za["Account Name"])
    assert set(zd["Account Name.id"]) <= set(za["Record Id"])
    closed = zd[won | lost]
    rates = closed.groupby("Deal Owner")["Stage"].apply(lambda s: (s == "Closed Won").mean())
    assert rates.max() - rates.min() > 0.1  # better and worse reps

    fd = _latest(root, "fxiaoke", "opportunities", ["商机名称", "客户名称"])
    fa = _latest(root, "fxiaoke", "accounts", ["客户名称"])
    assert set(fd["阶段状态"]) <= {"进行中", "赢单", "输单", "无效"}
    assert {"进行中", "赢单", "输单"} <= set(fd["阶段状态"])
    assert set(fd.loc[fd["阶段状态"] == "输单", "商机阶段"]) <= {"验证客户", "需求确定", "方案/报价", "商务谈判"}
    assert set(fd["客户名称"]) <= set(fa["客户名称"])
    for module, col in (("orders", "客户名称"), ("feedback", "客户名称"), ("activities", "关联对象")):
        df = pd.concat([_read(p) for p in _files(root, "fxiaoke") if _module_of(p) == module])
        assert set(df[col]) <= set(fa["客户名称"]), module
    for module in ("calls", "meetings", "tasks"):
        df = pd.concat([_read(p) for p in _files(root, "zoho") if _module_of(p) == module])
        assert set(df["Related To"]) <= set(za["Account Name"]), module
    orders = pd.concat([_read(p) for p in _files(root, "zoho") if _module_of(p) == "orders"])
    assert set(orders["Account Name"]) <= set(za["Account Name"])

    # customer lifecycle patterns, from Zoho orders (purchases)
    when = pd.to_datetime(orders["Created Time"], format="%m/%d/%Y %H:%M:%S")
    per = when.groupby(orders["Account Name"].to_numpy()).agg(["min", "max", "count"])
    days_since = (AS_OF_TS - per["max"]).dt.days
    assert (days_since <= 90).any() and (per["count"] >= 5).any()  # regular buyers
    assert days_since.between(181, 365).any()  # at risk
    assert (days_since > 365).any()  # churned
    assert (~za["Account Name"].isin(per.index)).any()  # prospects
    ordered = orders.assign(t=when).sort_values("t")
    gaps = ordered.groupby("Account Name")["t"].apply(
        lambda s: bool(len(s) > 1 and s.iloc[-1] >= AS_OF_TS - pd.Timedelta(days=90)
                       and (s.diff().dt.days > 365).any()))
    assert gaps.any()  # reactivated
    # a key account neglected: no activity for months
    acts = pd.concat([_read(p) for p in _files(root, "zoho") if _module_of(p) == "calls"])
    last = pd.to_datetime(acts["Call Start Time"], format="%m/%d/%Y %H:%M:%S").groupby(
        acts["Related To"].to_numpy()).max()
    hot = za.loc[za["Rating"] == "Hot", "Account Name"]
    assert (last.reindex(hot).fillna(pd.Timestamp("2000-01-01")) < AS_OF_TS - pd.Timedelta(
        days=90)).any()


def test_q4_is_stronger(tmp_path: Path) -> None:
    root = tmp_path / "l"
    generate_demo(root, seed=3, scale=0.5, as_of=AS_OF)
    zd = _latest(root, "zoho", "opportunities", ["Record Id"])
    won = zd[zd["Stage"] == "Closed Won"]
    close = pd.to_datetime(won["Closing Date"], format="%m/%d/%Y")
    amount = _amount(won["Amount"])
    year = amount[close.dt.year == 2025].groupby(close.dt.quarter).sum()
    assert year[4] > year[[1, 2, 3]].max()


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--landing", str(tmp_path / "x"), "--scale", "0.05", "--seed", "3",
                     "--as-of", "2026-06-30"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["export_dates"][-1] == "2026-06-30"
    assert (tmp_path / "x" / "zoho" / "2026-06-30" / "Deals.csv").is_file()
