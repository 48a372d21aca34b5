"""Orders, activities and customer feedback of the demo world.

Orders come from won deals plus repeat orders, shaped by each account's
segment so that regular buyers, lapsing customers (last purchase 181-365 and
>365 days ago), reactivated ones (a purchase in the last 90 days after a gap
of more than a year) and never-buying prospects all exist. Activities follow
open deals and account engagement (nothing after a deal froze or after a key
account was neglected). Feedback scores depend on the owning rep.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salestier_pipeline.demo.crm_deals import WON
from salestier_pipeline.demo.crm_model import (
    AT_RISK,
    CHURNED,
    REACTIVATED,
    REGULAR,
    Horizon,
    SourceWorld,
)
from salestier_pipeline.demo.formats import DAY, HOUR, MINUTE, NEVER, to_ts
from salestier_pipeline.demo.timeline import between, clip_ts, work_hours

N_SUBJECTS = 10
N_COMMENTS = 8


def _spread(rng: np.random.Generator, acc: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """counts[i] uniform times in [lo[i], hi[i]) for each account i (vectorised)."""
    idx = np.repeat(np.arange(len(acc)), counts)
    return acc[idx], between(rng, lo[idx], hi[idx] - 1)


def build_orders(rng: np.random.Generator, world: SourceWorld, h: Horizon) -> None:
    """Fill world.orders and each account's first / second / last purchase times."""
    spec, acc, deals = world.spec, world.accounts, world.deals
    won = np.flatnonzero((deals["outcome"].to_numpy() == WON) & (deals["close"].to_numpy() < h.t_end))
    d_ts = deals["close"].to_numpy()[won] + between(
        rng, np.zeros(len(won), dtype=np.int64), np.full(len(won), 3 * DAY))
    keep = d_ts < h.t_end
    parts_acc = [deals["acc"].to_numpy()[won][keep]]
    parts_ts = [d_ts[keep]]
    parts_deal = [won[keep]]
    parts_amt = [deals["amount"].to_numpy()[won][keep]]

    seg = acc["segment"].to_numpy()
    created = acc["created"].to_numpy()
    last_buy = acc["last_buy"].to_numpy()
    key = acc["key"].to_numpy()
    interval = rng.uniform(25, 75, len(acc)) * np.where(key, 0.7, 1.0) * DAY
    first = created + between(rng, np.full(len(acc), 5 * DAY), np.full(len(acc), 60 * DAY))
    regular = np.flatnonzero((seg == REGULAR) & (first < h.t_end))
    lapsed = np.flatnonzero(((seg == AT_RISK) | (seg == CHURNED)) & (first < last_buy))
    react = np.flatnonzero(seg == REACTIVATED)
    for ids, lo, hi in (
        (regular, first[regular], np.full(len(regular), h.t_end)),
        (lapsed, first[lapsed], last_buy[lapsed]),
    ):
        counts = rng.poisson((hi - lo) / interval[ids])
        a, ts = _spread(rng, ids, lo, hi, counts)
        parts_acc += [ids, a]
        parts_ts += [lo, ts]
    closing = np.flatnonzero(np.isin(seg, (AT_RISK, CHURNED, REACTIVATED)))
    recent = work_hours(rng, between(rng, np.full(len(react), h.t_as_of - 85 * DAY),
                                     np.full(len(react), h.t_as_of - 5 * DAY)))
    parts_acc += [closing, react]
    parts_ts += [last_buy[closing], recent]
    n_rep = sum(len(x) for x in parts_acc[1:])
    parts_deal.append(np.full(n_rep, -1))
    rep_amt = np.exp(rng.normal(np.log(spec.order_median), 0.6, n_rep))
    unit = 10 if spec.name == "zoho" else 100
    a_all = np.concatenate(parts_acc[1:])
    rep_amt = np.maximum(np.round(rep_amt * np.where(key[a_all], 2.0, 1.0) / unit), 1) * unit
    parts_amt.append(rep_amt)

    a = np.concatenate(parts_acc)
    ts = work_hours(rng, np.concatenate(parts_ts))
    ts = np.minimum(np.maximum(ts, created[a] + HOUR), h.t_end - HOUR)
    order = np.lexsort((a, ts))
    df = pd.DataFrame({
        "acc": a, "deal": np.concatenate(parts_deal), "ts": ts,
        "amount": np.concatenate(parts_amt),
    }).iloc[order].reset_index(drop=True)
    df["owner"] = acc["owner"].to_numpy()[df["acc"].to_numpy()]
    df["number"] = np.arange(1, len(df) + 1)
    df["delivered"] = df["ts"].to_numpy() + between(
        rng, np.full(len(df), 2 * DAY), np.full(len(df), 20 * DAY))
    world.orders = df

    ranked = df.sort_values(["acc", "ts"], kind="stable")
    ranked["k"] = ranked.groupby("acc").cumcount()
    every = np.arange(len(acc))
    for col, rows in (("first_buy", ranked[ranked["k"] == 0]), ("second_buy", ranked[ranked["k"] == 1])):
        acc[col] = rows.set_index("acc")["ts"].reindex(every).fillna(NEVER).astype(np.int64).to_numpy()
    acc["last_order"] = ranked.groupby("acc")["ts"].max().reindex(every).fillna(NEVER) \
        .astype(np.int64).to_numpy()
    first_buy = acc["first_buy"].to_numpy()[deals["acc"].to_numpy()]
    deals["existing"] = first_buy < deals["created"].to_numpy()


def build_activities(rng: np.random.Generator, world: SourceWorld, n: int, h: Horizon) -> None:
    """Fill world.activities: deal-linked and account-level touches."""
    spec, acc, deals, reps = world.spec, world.accounts, world.deals, world.reps
    act_mult = reps["activity_mult"].to_numpy()
    hire = np.array([to_ts(d) for d in reps["hire_date"]], dtype=np.int64)
    eng_end = acc["eng_end"].to_numpy()
    n_deal = round(n * 0.62)
    d_acc = deals["acc"].to_numpy()
    d_lo = deals["created"].to_numpy()
    d_hi = np.minimum.reduce([
        np.where(deals["close"].to_numpy() < NEVER, deals["close"].to_numpy(), h.t_end - HOUR),
        deals["stall"].to_numpy(), eng_end[d_acc], np.full(len(deals), h.t_end - HOUR)])
    w = np.maximum(d_hi - d_lo, 0) / DAY * act_mult[deals["owner"].to_numpy()] + 1e-9
    pick = rng.choice(len(deals), size=n_deal, p=w / w.sum())
    lo, hi = d_lo[pick], np.maximum(d_hi[pick], d_lo[pick])
    ts_deal = clip_ts(work_hours(rng, between(rng, lo, hi)), lo, hi)

    a_lo = np.maximum(acc["created"].to_numpy(), hire[acc["owner"].to_numpy()])
    a_hi = np.maximum(np.minimum(eng_end, h.t_end - HOUR), a_lo)
    w = (a_hi - a_lo) / DAY * acc["act_w"].to_numpy() * act_mult[acc["owner"].to_numpy()] + 1e-9
    n_acc = n - n_deal
    a_pick = rng.choice(len(acc), size=n_acc, p=w / w.sum())
    lo, hi = a_lo[a_pick], a_hi[a_pick]
    ts_acc = clip_ts(work_hours(rng, between(rng, lo, hi)), lo, hi)

    a = np.concatenate([d_acc[pick], a_pick])
    ts = np.concatenate([ts_deal, ts_acc])
    kinds = np.asarray(spec.activity_kinds)
    kind = rng.choice(len(kinds), size=n, p=kinds / kinds.sum())
    df = pd.DataFrame({
        "acc": a, "deal": np.concatenate([pick, np.full(n_acc, -1)]), "ts": ts, "kind": kind,
        "subject": rng.integers(0, N_SUBJECTS, n), "owner": acc["owner"].to_numpy()[a],
        "duration": np.clip(np.rint(rng.gamma(1.6, 7.0, n)), 1, 120).astype(np.int64),
        "done": rng.random(n) < 0.92,
    })
    t = df["ts"].to_numpy()
    if spec.name == "zoho":
        # calls logged after the call, meetings scheduled ahead, tasks created before due
        lag = np.select(
            [kind == 0, kind == 1],
            [(df["duration"].to_numpy() + rng.integers(2, 90, n)) * MINUTE,
             -rng.integers(1, 10, n) * DAY - rng.integers(0, 8 * HOUR, n)],
            -rng.integers(1, 7, n) * DAY - rng.integers(0, 8 * HOUR, n))
        created = np.minimum(np.maximum(t + lag, acc["created"].to_numpy()[a]), h.t_end - MINUTE)
        done_at = np.where(kind == 0, created, t + rng.integers(30 * MINUTE, 6 * HOUR, n))
        modified = np.minimum(np.maximum(done_at, created), h.t_end - MINUTE)
    else:
        t = (t // MINUTE) * MINUTE
        df["ts"] = t
        created = modified = t
    df["created"] = created
    df["modified"] = modified
    df["visible"] = np.maximum(np.maximum(created, modified), df["ts"].to_numpy())
    if spec.name == "fxiaoke":  # natural key of 销售记录: time + owner + account + content
        df = df.drop_duplicates(["ts", "owner", "acc", "subject", "kind"], keep="first")
    world.activities = df.sort_values(["visible", "acc"], kind="stable").reset_index(drop=True)


def build_feedback(rng: np.random.Generator, world: SourceWorld, n: int, h: Horizon) -> None:
    """Fill world.feedback: surveys / cases after purchases, scored by the owner's skill."""
    spec, acc, reps = world.spec, world.accounts, world.reps
    first, last = acc["first_buy"].to_numpy(), acc["last_order"].to_numpy()
    lo = first + 7 * DAY
    hi = np.minimum.reduce([np.full(len(acc), h.t_end - HOUR), last + 150 * DAY,
                            acc["eng_end"].to_numpy() + 90 * DAY])
    ok = (first < NEVER) & (hi > lo + DAY)
    if not ok.any() or n <= 0:
        world.feedback = pd.DataFrame(columns=["acc", "owner", "ts", "score", "comment", "modified"])
        return
    counts = world.orders.groupby("acc").size().reindex(np.arange(len(acc))).fillna(0).to_numpy()
    w = np.where(ok, np.sqrt(counts) * np.where(acc["key"].to_numpy(), 1.5, 1.0), 0.0)
    a = rng.choice(len(acc), size=n, p=w / w.sum())
    ts = clip_ts(work_hours(rng, between(rng, lo[a], hi[a])), lo[a], hi[a])
    ts = (ts // MINUTE) * MINUTE
    owner = acc["owner"].to_numpy()[a]
    sat = reps["satisfaction"].to_numpy()[owner]
    seg = acc["segment"].to_numpy()[a]
    penalty = np.where(acc["neglected"].to_numpy()[a], 0.8, 0.0)
    penalty += np.where((seg == AT_RISK) | (seg == CHURNED), 0.7, 0.0)
    penalty -= np.where(seg == REACTIVATED, 0.3, 0.0)
    if spec.name == "zoho":
        score = np.clip(np.rint(rng.normal(2.7 + 2.0 * sat - penalty, 0.75)), 1, 5)
    else:
        score = np.clip(np.rint(rng.normal(5.8 + 3.8 * sat - 2 * penalty, 1.3)), 0, 10)
    modified = np.minimum(ts + rng.integers(HOUR, 4 * DAY, n), h.t_end - MINUTE)
    if spec.name == "fxiaoke":
        modified = ts
    # comment codes: even = praise, odd = complaint; a happy customer mostly praises
    happy = score >= (4 if spec.name == "zoho" else 8)
    praise = np.where(rng.random(n) < 0.85, happy, ~happy)
    comment = 2 * rng.integers(0, N_COMMENTS // 2, n) + np.where(praise, 0, 1)
    df = pd.DataFrame({
        "acc": a, "owner": owner, "ts": ts, "score": score.astype(np.int64),
        "comment": comment, "modified": modified,
    })
    if spec.name == "fxiaoke":  # natural key of 回访记录: account + time
        df = df.drop_duplicates(["acc", "ts"], keep="first")
    world.feedback = df.sort_values(["modified", "acc"], kind="stable").reset_index(drop=True)
