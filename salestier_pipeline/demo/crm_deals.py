"""Deals (opportunities) of the demo world, with a full stage timeline per deal.

Each deal gets the time it entered every open stage and the time it closed,
so a snapshot at any cut-off shows the stage it was in then. Rep skill drives
win rate, cycle length and where losses happen (the rep's weak stage), and
the account's segment decides whether a win may happen at that time (a
churning customer loses deals to competition). Some deals freeze (no stage
change, no activity for 60+ days) and some pass their expected close date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salestier_pipeline.demo.crm_model import Horizon, SourceWorld
from salestier_pipeline.demo.formats import DAY, HOUR, NEVER, to_ts, zfill
from salestier_pipeline.demo.timeline import between, quarter_of, seasonal_days, work_hours

OPEN, WON, LOST, INVALID = 0, 1, 2, 3
REASON_COMPETITION = 0
N_REASONS = 5
N_LEAD_SOURCES = 8
N_PRODUCTS = 8
# win-rate multiplier per lead source code (writers give the codes their labels):
# referral, partner, web, trade show, advertisement, cold call, seminar, chat
SOURCE_WIN = np.array([1.3, 1.15, 1.0, 0.95, 0.85, 0.65, 1.05, 0.9])
SOURCE_P = np.array([0.12, 0.1, 0.22, 0.1, 0.12, 0.16, 0.08, 0.1])
INDUSTRY_WIN = np.array([1.1, 0.95, 0.9, 1.15, 1.0, 0.85, 1.05, 0.95, 1.0, 1.1])
ZOHO_PRODUCTS = ("Platform License", "Annual Subscription", "Implementation Services",
                 "Support Renewal", "Expansion", "Pilot Project", "Data Migration",
                 "Training Package")
FX_PRODUCTS = ("年度服务合同", "系统采购项目", "软件许可", "实施服务", "扩容项目", "试点项目",
               "运维服务", "培训服务")


def _lost_stage(rng: np.random.Generator, canonical: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """Open stage at which a lost deal was lost: early stages weigh more, the rep's weak stage x3."""
    s = len(canonical)
    base = np.linspace(1.4, 0.7, s)
    w = base[None, :] * np.where(canonical[None, :] == weak[:, None], 3.0, 1.0)
    cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((cdf < rng.random(len(weak))[:, None]).sum(axis=1), s - 1)


def _in_windows(acc: pd.DataFrame, a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whether account a may buy at time t (its segment's purchase windows)."""
    in_a = (t >= acc["win_a_lo"].to_numpy()[a]) & (t <= acc["win_a_hi"].to_numpy()[a])
    return in_a | ((t >= acc["win_b_lo"].to_numpy()[a]) & (t <= acc["win_b_hi"].to_numpy()[a]))


def build_deals(rng: np.random.Generator, world: SourceWorld, n: int, h: Horizon) -> None:
    """Fill world.deals and world.stage_at."""
    spec, acc, reps = world.spec, world.accounts, world.reps
    created_acc = acc["created"].to_numpy()
    span = (h.t_end - created_acc) / (h.t_end - h.t0)
    p = acc["deal_w"].to_numpy() * np.maximum(span, 0.02)
    a = rng.choice(len(acc), size=n, p=p / p.sum())
    owner = acc["owner"].to_numpy()[a]
    hire = np.array([to_ts(d) for d in reps["hire_date"]], dtype=np.int64)[owner]
    lo_ts = np.maximum(created_acc[a] + 600, hire + DAY)
    eng_end = acc["eng_end"].to_numpy()[a]
    hi_ts = np.where(eng_end < h.t_end, np.minimum(h.t_as_of, eng_end - 10 * DAY), h.t_as_of)
    day = seasonal_days(rng, lo_ts // DAY + 1, hi_ts // DAY, h.t0 // DAY, h.t_as_of // DAY)
    created = work_hours(rng, day * DAY)
    created = np.clip(created, lo_ts, np.maximum(lo_ts, h.t_as_of + 18 * HOUR))

    key = acc["key"].to_numpy()[a]
    rep = {c: reps[c].to_numpy()[owner] for c in ("win_rate", "cycle_mult", "size_mult", "weak_stage")}
    cycle_days = np.exp(rng.normal(np.log(48 * rep["cycle_mult"] * np.where(key, 1.35, 1.0)), 0.45))
    cycle = (np.clip(cycle_days, 10, 420) * DAY).astype(np.int64)
    planned_close = created + cycle
    q4 = quarter_of(planned_close) == 4
    amount = np.exp(rng.normal(np.log(spec.deal_median), 0.75, n)) * rep["size_mult"]
    amount *= np.where(key, 2.2, 1.0) * np.where(q4, 1.2, 1.0)
    amount *= (acc["employees"].to_numpy()[a] / 100.0) ** 0.12
    amount = np.maximum(np.round(amount / spec.amount_unit), 10) * spec.amount_unit

    # stage timeline: time entered each open stage; close after the last one
    s = spec.n_stages
    dur = rng.gamma(2.0, 1.0, (n, s))
    frac = np.cumsum(dur, axis=1) / dur.sum(axis=1, keepdims=True)
    stage_at = np.empty((n, s), dtype=np.int64)
    stage_at[:, 0] = created
    stage_at[:, 1:] = created[:, None] + (frac[:, :-1] * cycle[:, None]).astype(np.int64)
    stage_at[:, 1:] = work_hours(rng, stage_at[:, 1:].ravel()).reshape(n, s - 1)
    stage_at = np.maximum.accumulate(stage_at, axis=1)
    planned_close = np.maximum(work_hours(rng, planned_close), stage_at[:, -1] + HOUR)

    lead_source = rng.choice(N_LEAD_SOURCES, size=n, p=SOURCE_P)
    industry = acc["industry"].to_numpy()[a]
    season = np.where(q4, 1.12, np.where(quarter_of(planned_close) == 1, 0.92, 1.0))
    # a customer in a no-buy window cannot win (see below); lift the odds of the other
    # deals of the rep so its overall win rate still lands on its skill
    allowed = _in_windows(acc, a, planned_close) | (planned_close >= h.t_end)
    counted = planned_close < h.t_end
    n_counted = np.bincount(owner[counted], minlength=len(reps))
    share = np.bincount(owner[counted & allowed], minlength=len(reps)) / np.maximum(n_counted, 1)
    share = np.where(n_counted > 0, np.maximum(share, 0.3), 1.0)
    p_win = rep["win_rate"] * SOURCE_WIN[lead_source] * INDUSTRY_WIN[industry] * season
    p_win = np.clip(p_win / share[owner], 0.04, 0.95)
    outcome = np.where(rng.random(n) < p_win, WON, LOST)
    lost = outcome == LOST
    lost_stage = np.full(n, s - 1)
    lost_stage[lost] = _lost_stage(rng, np.array(spec.canonical), rep["weak_stage"][lost])
    close = planned_close.copy()
    seg_start = stage_at[np.arange(n), lost_stage]
    seg_end = np.where(lost_stage + 1 < s, stage_at[np.arange(n), np.minimum(lost_stage + 1, s - 1)],
                       planned_close)
    lost_at = work_hours(rng, between(rng, seg_start[lost] + HOUR, seg_end[lost] - HOUR))
    close[lost] = np.clip(lost_at, seg_start[lost] + 1, np.maximum(seg_end[lost] - 1, seg_start[lost] + 1))
    early = lost & (lost_stage <= 1) & (rng.random(n) < spec.invalid_share)
    outcome[early] = INVALID
    reason = rng.integers(0, N_REASONS, n)

    # a customer in a no-buy window loses the deal to competition at the last stage
    won_now = (outcome == WON) & (close < h.t_end)
    blocked = won_now & ~allowed
    outcome[blocked] = LOST
    lost_stage[blocked] = s - 1
    reason[blocked] = REASON_COMPETITION
    lost_at = work_hours(rng, between(rng, stage_at[blocked, s - 1] + HOUR, close[blocked]))
    close[blocked] = np.clip(lost_at, stage_at[blocked, s - 1] + 1, close[blocked])

    # stalled deals: the process froze; no stage change or activity since (>= 60 days)
    stall = np.full(n, NEVER)
    hi_stall = np.minimum(close - HOUR, h.t_as_of - 62 * DAY)
    cand = (created < h.t_as_of - 75 * DAY) & (close > h.t_as_of - 330 * DAY) & (
        hi_stall > created + DAY)
    zombie = cand & (rng.random(n) < 0.05)
    stall[zombie] = between(rng, created[zombie] + DAY, hi_stall[zombie])
    neglected = acc["neglected"].to_numpy()[a] & (close >= eng_end)
    stall[neglected] = np.maximum(
        created[neglected] + HOUR,
        np.minimum(stall[neglected], eng_end[neglected] - between(
            rng, np.zeros(neglected.sum(), dtype=np.int64), np.full(neglected.sum(), 5 * DAY))))
    frozen = stall < NEVER
    outcome[frozen] = OPEN
    close[frozen] = NEVER
    open_now = close >= h.t_end
    outcome[open_now & ~frozen] = OPEN  # not decided by the as-of date
    close[open_now] = NEVER
    # stages never reached: beyond the lost stage, or after the freeze
    k = np.arange(s)[None, :]
    never = (outcome[:, None] >= LOST) & (k > lost_stage[:, None])
    never |= stage_at > np.where(frozen, stall, NEVER)[:, None]
    never |= stage_at >= h.t_end
    stage_at[never] = NEVER
    stage_at[:, 0] = created

    # the rep's estimate of the close date, shown while the deal is open
    est = rng.uniform(0.7, 1.3, n)
    expected = ((created + (cycle * est).astype(np.int64)) // DAY) * DAY

    order = np.lexsort((a, created))
    df = pd.DataFrame({
        "acc": a, "owner": owner, "created": created, "close": close, "outcome": outcome,
        "lost_stage": np.where(outcome >= LOST, lost_stage, -1), "expected": expected,
        "amount": amount, "lead_source": lead_source, "reason": reason, "stall": stall,
        "product": rng.integers(0, N_PRODUCTS, n),
    }).iloc[order].reset_index(drop=True)
    stage_at = stage_at[order]
    df["seq"] = df.groupby("acc").cumcount() + 1
    acc_name = acc["name"].to_numpy()[df["acc"].to_numpy()]
    seq = df["seq"].astype(str).to_numpy().astype(object)
    if spec.name == "zoho":
        prod = np.asarray(ZOHO_PRODUCTS, dtype=object)[df["product"].to_numpy()]
        df["name"] = acc_name + " - " + prod + " #" + seq
    else:
        prod = np.asarray(FX_PRODUCTS, dtype=object)[df["product"].to_numpy()]
        df["name"] = acc_name + "-" + prod + "-" + zfill(df["seq"].to_numpy(), 2)
    first = world.contacts.drop_duplicates("acc").set_index("acc")
    c_name = first["name"].reindex(df["acc"]).fillna("").to_numpy()
    c_time = first["created"].reindex(df["acc"]).fillna(NEVER).to_numpy()
    df["contact"] = np.where(c_time <= df["created"].to_numpy(), c_name, "")
    world.deals = df
    world.stage_at = stage_at


def deal_state(world: SourceWorld, c: int) -> pd.DataFrame:
    """Each deal as the CRM showed it at cut-off c: stage index, outcome, change times."""
    d = world.deals
    st = world.stage_at
    reached = st < c
    stage = reached.sum(axis=1) - 1
    last_change = np.where(reached, st, 0).max(axis=1)
    close = d["close"].to_numpy()
    closed = close < c
    outcome = np.where(closed, d["outcome"].to_numpy(), OPEN)
    modified = np.where(closed, np.maximum(close, last_change), last_change)
    return pd.DataFrame({
        "stage": stage, "outcome": outcome,
        "stage_changed": np.where(closed & (outcome == WON), close, last_change),
        "modified": modified, "closed": closed,
    })
