"""The sales organisation of the demo: reps, teams, managers, skills and targets.

Each rep gets hidden skill parameters (win rate, cycle speed, activity level,
customer satisfaction, a weak funnel stage) that drive the CRM world, so the
rep-tier and training-focus outputs downstream have real differences to find.
Every team gets a spread from strong to weak, so tiers within a team exist.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from salestier_pipeline.demo import names

INTL, CHINA = "International", "China"
SOURCE_OF_REGION = {INTL: "zoho", CHINA: "fxiaoke"}
REPS_COLUMNS = ["rep_id", "rep_name", "manager_rep_id", "team", "region", "hire_date", "level"]
TARGETS_COLUMNS = ["rep_id", "team", "period_start", "period_end", "target_amount", "currency"]
SOURCE_CURRENCY = {"zoho": "USD", "fxiaoke": "CNY"}  # the demo tenants' own currencies
_INTL_GEO = ("EMEA", "Americas", "APAC")
_INTL_SEGMENT = (
    "Enterprise", "Mid-Market", "Strategic", "Commercial", "Public Sector", "Channel",
    "Growth", "Key Accounts",
)
_CN_AREA = ("华东", "华北", "华南", "西南", "华中", "西北", "东北")
_CN_NUM = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
LEVEL_TARGET = {"senior": 1.25, "rep": 1.0, "junior": 0.7}
SEASON_TARGET = {1: 0.85, 2: 0.95, 3: 1.0, 4: 1.3}


def team_layout(scale: float) -> tuple[int, int, int]:
    """(reps, international teams, China teams): 12 reps / 3 teams at scale 1, ~8 per team above."""
    n_reps = max(6, round(12 * scale))
    n_teams = max(3, math.ceil(n_reps / 8))
    n_intl = max(2, round(n_teams * 2 / 3))
    return n_reps, n_intl, n_teams - n_intl


def _team_names(n_intl: int, n_cn: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n_intl):
        geo, seg = _INTL_GEO[i % 3], _INTL_SEGMENT[i // 3 % len(_INTL_SEGMENT)]
        k = i // (3 * len(_INTL_SEGMENT))
        out.append((INTL, f"{geo} {seg}" + (f" {k + 1}" if k else "")))
    for i in range(n_cn):
        area, k = _CN_AREA[i % len(_CN_AREA)], i // len(_CN_AREA)
        num = _CN_NUM[k] if k < len(_CN_NUM) else str(k + 1)
        out.append((CHINA, f"{area}销售{num}部"))
    return out


def build_roster(rng: np.random.Generator, scale: float, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Reps and managers with their hidden skills; one row per person."""
    n_reps, n_intl, n_cn = team_layout(scale)
    teams = _team_names(n_intl, n_cn)
    sizes = [len(a) for a in np.array_split(np.arange(n_reps), len(teams))]
    rows: list[dict] = []
    for region in (INTL, CHINA):
        region_teams = [(t, s) for (r, t), s in zip(teams, sizes, strict=True) if r == region]
        n_people = sum(s for _, s in region_teams) + len(region_teams)
        people = names.english_people if region == INTL else names.chinese_people
        person_names, _ = people(rng, n_people, unique=True)
        it = iter(person_names)
        for team, size in region_teams:
            rows.append({"region": region, "team": team, "rep_name": next(it), "is_manager": True})
            rows.extend(
                {"region": region, "team": team, "rep_name": next(it), "is_manager": False}
                for _ in range(size)
            )
    df = pd.DataFrame(rows)
    n = len(df)
    mgr = df["is_manager"].to_numpy()
    df["rep_id"] = ""
    df.loc[mgr, "rep_id"] = [f"M{i + 1:03d}" for i in range(int(mgr.sum()))]
    df.loc[~mgr, "rep_id"] = [f"R{i + 1:04d}" for i in range(int((~mgr).sum()))]
    team_mgr = df[mgr].set_index("team")["rep_id"]
    df["manager_rep_id"] = np.where(mgr, "", df["team"].map(team_mgr))
    df["source"] = df["region"].map(SOURCE_OF_REGION)

    # hire dates: managers long-tenured; a sixth of the reps joined during the history
    tenure_days = rng.uniform(90, 2500, n)
    tenure_days[mgr] = rng.uniform(900, 3600, int(mgr.sum()))
    hire = np.array([start - dt.timedelta(days=int(d)) for d in tenure_days])
    new_hire = np.zeros(n, dtype=bool)
    for region in (INTL, CHINA):
        idx = np.flatnonzero((df["region"].to_numpy() == region) & ~mgr)
        k = max(1, round(len(idx) / 6))
        new_hire[rng.choice(idx, size=k, replace=False)] = True
    joined = rng.uniform(60, 420, n)
    hire = np.where(new_hire, [start + dt.timedelta(days=int(d)) for d in joined], hire)
    df["hire_date"] = hire
    years = np.array([(as_of - h).days / 365.25 for h in hire])
    df["level"] = np.where(mgr, "manager", np.where(new_hire, "junior", np.where(years > 5, "senior", "rep")))
    df["new_hire"] = new_hire

    # skills: a strong-to-weak spread inside every team
    q = np.zeros(n)
    for _, idx in df.groupby("team", sort=True).indices.items():
        idx = idx[~mgr[idx]]
        q[idx] = rng.permutation(np.linspace(0.0, 1.0, len(idx)))
    q = np.clip(q + rng.normal(0, 0.05, n), 0, 1)
    q = np.where(new_hire, 0.1 + q * 0.5, q)  # new hires are still ramping up
    u = rng.random((4, n))
    df["quality"] = q
    df["win_rate"] = 0.25 + 0.29 * q
    df["cycle_mult"] = (1.6 - 1.0 * (0.6 * q + 0.4 * u[0])) * np.exp(rng.normal(0, 0.08, n))
    df["activity_mult"] = 0.55 + 0.9 * (0.6 * q + 0.4 * u[1])
    df["size_mult"] = np.exp(rng.normal(0, 0.2, n))
    df["satisfaction"] = np.clip(0.45 * q + 0.55 * u[2], 0, 1)
    df["weak_stage"] = rng.choice([3, 4, 5], size=n)  # canonical stage where most losses happen
    load = df["level"].map({"senior": 1.3, "rep": 1.0, "junior": 0.6, "manager": 0.0}).to_numpy()
    load = load * rng.uniform(0.85, 1.15, n)
    for region in (INTL, CHINA):  # one overloaded rep per region for the allocation view
        idx = np.flatnonzero((df["region"].to_numpy() == region) & ~mgr & ~new_hire)
        if len(idx):
            load[rng.choice(idx)] *= 1.8
    df["load"] = load
    return df.sort_values("rep_id", kind="stable").reset_index(drop=True)


def reps_csv(roster: pd.DataFrame) -> pd.DataFrame:
    """The roster as written to reference/reps.csv."""
    out = roster[REPS_COLUMNS].copy()
    out["hire_date"] = [d.isoformat() for d in out["hire_date"]]
    return out


def quarters(start: dt.date, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Calendar quarters overlapping [start, as_of]."""
    out = []
    q = dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while q <= as_of:
        nxt = dt.date(q.year + (q.month + 2) // 12, (q.month + 2) % 12 + 1, 1)
        out.append((q, nxt - dt.timedelta(days=1)))
        q = nxt
    return out


def build_targets(
    rng: np.random.Generator,
    roster: pd.DataFrame,
    bookings: dict[str, float],
    start: dt.date,
    as_of: dt.date,
) -> pd.DataFrame:
    """Quarterly quota per rep and per team, sized so attainment centres near 100 %.

    The quota base of a source is its realised bookings per weighted rep-quarter
    (in that source's currency: USD for Zoho, CNY for Fxiaoke), then shaped by
    season, level and ramp-up of new hires: good reps beat it, weak reps miss it.
    """
    qs = quarters(start, as_of)
    reps = roster[roster["level"] != "manager"].reset_index(drop=True)
    rows = []
    for source, total in bookings.items():
        sub = reps[reps["source"] == source]
        if sub.empty:
            continue
        weights = np.zeros((len(sub), len(qs)))
        for j, (q0, q1) in enumerate(qs):
            overlap = (min(q1, as_of) - max(q0, start)).days + 1
            share = max(overlap, 0) / ((q1 - q0).days + 1)
            for i, (hire, level) in enumerate(zip(sub["hire_date"], sub["level"], strict=True)):
                ramp = 0.0 if hire > q1 else (0.5 if hire >= q0 else 1.0)
                weights[i, j] = share * ramp * SEASON_TARGET[(q0.month - 1) // 3 + 1] * LEVEL_TARGET[level]
        base = total / max(weights.sum(), 1e-9)
        unit = 1000 if source == "zoho" else 10000
        noise = rng.uniform(0.95, 1.08, weights.shape)
        for i, rep in enumerate(sub.itertuples()):
            for j, (q0, q1) in enumerate(qs):
                overlap = (min(q1, as_of) - max(q0, start)).days + 1
                share = max(overlap, 0) / ((q1 - q0).days + 1)
                w = weights[i, j] / share if share else 0.0
                if w <= 0:
                    continue
                amount = round(base * w * noise[i, j] / unit) * unit
                rows.append((rep.rep_id, rep.team, q0, q1, float(max(amount, unit)), SOURCE_CURRENCY[source]))
    df = pd.DataFrame(rows, columns=TARGETS_COLUMNS)
    team = df.groupby(["team", "period_start", "period_end", "currency"], sort=True, as_index=False)[
        "target_amount"
    ].sum()
    team.insert(0, "rep_id", "")
    df = pd.concat([df, team[TARGETS_COLUMNS]], ignore_index=True)
    df = df.sort_values(["period_start", "team", "rep_id"], kind="stable").reset_index(drop=True)
    df["period_start"] = [d.isoformat() for d in df["period_start"]]
    df["period_end"] = [d.isoformat() for d in df["period_end"]]
    df["target_amount"] = df["target_amount"].map(lambda v: f"{v:.2f}")
    return df
