"""The shared synthetic world: one CRM tenant per region, as typed numpy columns.

A ``SourceWorld`` holds every record a CRM ever had over the history, with the
times at which each record was created and changed. Writers never see the
rules below; they render a snapshot of the world at an export cut-off. That is
what makes later batches carry genuinely modified records (a deal that moved
stage or closed) instead of random copies.

Accounts carry a hidden *segment* that fixes when they may buy, so the
lifecycle stages downstream (prospect / new / active / at_risk / churned /
reactivated) all occur, plus neglected key accounts with no recent activity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salestier_pipeline.demo import names
from salestier_pipeline.demo.formats import DAY, NEVER, to_ts
from salestier_pipeline.demo.timeline import between, work_hours

PROSPECT, REGULAR, OCCASIONAL, AT_RISK, CHURNED, REACTIVATED = range(6)
SEGMENT_P = np.array([0.24, 0.30, 0.23, 0.09, 0.10, 0.04])
DEAL_WEIGHT = np.array([0.5, 2.0, 1.5, 1.3, 1.3, 1.0])
ACTIVITY_WEIGHT = np.array([0.6, 1.5, 1.0, 0.8, 0.7, 0.9])
N_INDUSTRY = 10
N_STATES = 12


@dataclass(frozen=True)
class SourceSpec:
    """What differs between the two CRM tenants of the demo."""

    name: str
    region: str
    n_stages: int  # open stages of the pipeline, in order
    canonical: tuple[int, ...]  # canonical stage number (SPEC §3) of each open stage
    deal_median: float  # median deal amount, in the tenant currency
    order_median: float  # median repeat-order amount
    amount_unit: float  # deal amounts are rounded to this
    invalid_share: float  # share of early losses marked 无效 instead of 输单
    activity_kinds: tuple[float, ...]  # probability of each activity kind (writer-defined codes)


ZOHO = SourceSpec("zoho", "International", 7, (2, 3, 4, 4, 4, 4, 5), 18_000, 3_500, 100, 0.0,
                  (0.5, 0.2, 0.3))
FXIAOKE = SourceSpec("fxiaoke", "China", 4, (2, 3, 4, 5), 120_000, 25_000, 1_000, 0.25,
                     (0.35, 0.2, 0.3, 0.1, 0.05))


@dataclass
class Horizon:
    """Time frame of the world: history start, as-of date and the last export's cut-off."""

    start: dt.date
    as_of: dt.date
    t0: int = field(init=False)
    t_as_of: int = field(init=False)
    t_end: int = field(init=False)

    def __post_init__(self) -> None:
        self.t0 = to_ts(self.start)
        self.t_as_of = to_ts(self.as_of)
        self.t_end = self.t_as_of + DAY  # exclusive: events on the as-of day count

    def days(self, n: float) -> int:
        """n days in seconds (the unit of every time in the world)."""
        return int(n * DAY)


@dataclass
class SourceWorld:
    """Every record of one CRM tenant over the history (see module docstring)."""

    spec: SourceSpec
    reps: pd.DataFrame  # the tenant's selling reps (no managers); owner codes index this
    accounts: pd.DataFrame
    contacts: pd.DataFrame
    leads: pd.DataFrame = field(default_factory=pd.DataFrame)
    deals: pd.DataFrame = field(default_factory=pd.DataFrame)
    stage_at: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    orders: pd.DataFrame = field(default_factory=pd.DataFrame)
    activities: pd.DataFrame = field(default_factory=pd.DataFrame)
    feedback: pd.DataFrame = field(default_factory=pd.DataFrame)


def company_names(rng: np.random.Generator, spec: SourceSpec, n: int) -> tuple:
    """Unique company names in the tenant's language, with e-mail domains."""
    if spec.name == "zoho":
        return names.english_companies(rng, n)
    return names.chinese_companies(rng, n)


def people(rng: np.random.Generator, spec: SourceSpec, n: int) -> tuple:
    """Person names in the tenant's language, with e-mail local parts."""
    if spec.name == "zoho":
        return names.english_people(rng, n)
    return names.chinese_people(rng, n)


def build_accounts(
    rng: np.random.Generator, spec: SourceSpec, reps: pd.DataFrame, n: int, h: Horizon,
    company: np.ndarray, domain: np.ndarray,
) -> pd.DataFrame:
    """Accounts with owner, firmographics, hidden segment and purchase windows."""
    owner = rng.choice(len(reps), size=n, p=reps["load"].to_numpy() / reps["load"].sum())
    hire = np.array([to_ts(d) for d in reps["hire_date"]], dtype=np.int64)[owner]
    lo = np.maximum(h.t0, hire + DAY)
    hi = np.full(n, h.t_as_of - h.days(3))
    migrated = (rng.random(n) < 0.35) & (hire < h.t0)  # records imported when the CRM went live
    created = np.where(migrated, between(rng, np.full(n, h.t0), np.full(n, h.t0 + h.days(13))),
                       between(rng, lo, hi))
    created = np.clip(work_hours(rng, created), lo, h.t_as_of - DAY)

    employees = np.clip(np.rint(np.exp(rng.normal(4.6, 1.3, n))), 3, 120_000).astype(np.int64)
    per_head = np.exp(rng.normal(np.log(180_000 if spec.name == "zoho" else 900_000), 0.4, n))
    revenue = np.round(employees * per_head, -3)
    key = revenue >= np.quantile(revenue, 0.88)

    # hidden segment, limited by how long the account has existed
    age = (h.t_as_of - created) / DAY
    p = np.tile(SEGMENT_P, (n, 1))
    p[:, AT_RISK] *= age >= 220
    p[:, CHURNED] *= age >= 420
    p[:, REACTIVATED] *= (age >= 500) & (created <= h.t0 + h.days(200))
    p[key, PROSPECT] *= 0.5
    u = rng.random(n)
    segment = (np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1) < u[:, None]).sum(axis=1)
    segment = np.minimum(segment, len(SEGMENT_P) - 1)
    for seg in (PROSPECT, AT_RISK, CHURNED, REACTIVATED):  # every pattern exists, even when tiny
        spare = np.flatnonzero((p[:, seg] > 0) & np.isin(segment, (REGULAR, OCCASIONAL)))
        if not (segment == seg).any() and len(spare) > 1:
            segment[rng.choice(spare)] = seg

    # windows in which won deals and orders may happen (b is the reactivation window)
    a_lo, a_hi = created.copy(), np.full(n, h.t_end)
    b_lo, b_hi = np.full(n, NEVER), np.full(n, NEVER)
    last_buy = np.full(n, NEVER)
    at_risk, churned, react = segment == AT_RISK, segment == CHURNED, segment == REACTIVATED
    last_buy[at_risk] = between(
        rng, np.maximum(created[at_risk] + h.days(15), h.t_as_of - h.days(340)),
        np.full(at_risk.sum(), h.t_as_of - h.days(195)))
    last_buy[churned] = between(rng, created[churned] + h.days(20),
                                np.full(churned.sum(), h.t_as_of - h.days(380)))
    last_buy[react] = between(rng, created[react] + h.days(10),
                              np.minimum(created[react] + h.days(150), h.t_as_of - h.days(470)))
    last_buy = np.where(last_buy < NEVER, work_hours(rng, last_buy), NEVER)
    closing = at_risk | churned | react
    a_hi[closing] = last_buy[closing] - h.days(4)
    a_hi[segment == PROSPECT] = a_lo[segment == PROSPECT] - 1  # empty: never buys
    b_lo[react] = h.t_as_of - h.days(85)
    b_hi[react] = h.t_end

    # engagement: reps stop calling lost customers; some key accounts are neglected
    eng_end = np.full(n, h.t_end)
    lapsed = at_risk | churned
    eng_end[lapsed] = np.minimum(h.t_end, last_buy[lapsed] + between(
        rng, np.full(lapsed.sum(), h.days(20)), np.full(lapsed.sum(), h.days(220))))
    cand = np.flatnonzero(key & ((segment == REGULAR) | (segment == OCCASIONAL)) & (age > 260))
    neglected = np.zeros(n, dtype=bool)
    if len(cand):
        pick = rng.choice(cand, size=max(1, round(len(cand) * 0.2)), replace=False)
        neglected[pick] = True
        eng_end[pick] = h.t_as_of - between(rng, np.full(len(pick), h.days(100)),
                                            np.full(len(pick), h.days(220)))

    parent = np.full(n, -1)
    roots = np.flatnonzero(key & migrated)
    kids = np.flatnonzero(~key & (rng.random(n) < 0.04))
    if len(roots) and len(kids):
        parent[kids] = rng.choice(roots, size=len(kids))

    edited = rng.random(n) < 0.25
    edit_ts = np.where(edited, work_hours(rng, between(rng, created + h.days(1), np.full(n, h.t_as_of))),
                       NEVER)
    edit_ts = np.where(edit_ts <= created, NEVER, edit_ts)
    key_mult = np.where(key, 2.0, 1.0)
    return pd.DataFrame({
        "name": company, "domain": domain, "owner": owner, "created": created,
        "industry": rng.integers(0, N_INDUSTRY, n), "state": rng.integers(0, N_STATES, n),
        "employees": employees, "revenue": revenue, "key": key, "segment": segment,
        "win_a_lo": a_lo, "win_a_hi": a_hi, "win_b_lo": b_lo, "win_b_hi": b_hi,
        "last_buy": last_buy, "eng_end": eng_end, "neglected": neglected, "parent": parent,
        "edit_ts": edit_ts, "deal_w": DEAL_WEIGHT[segment] * key_mult,
        "act_w": ACTIVITY_WEIGHT[segment] * np.where(key, 1.6, 1.0),
    })


def build_contacts(
    rng: np.random.Generator, spec: SourceSpec, accounts: pd.DataFrame, h: Horizon
) -> pd.DataFrame:
    """1-6 contacts per account, mostly created with the account; names unique per account."""
    per = np.minimum(1 + rng.poisson(1.2, len(accounts)), 6)
    acc = np.repeat(np.arange(len(accounts)), per)
    n = len(acc)
    person, local = people(rng, spec, n)
    acc_created = accounts["created"].to_numpy()[acc]
    first = np.r_[True, acc[1:] != acc[:-1]]
    late = ~first & (rng.random(n) < 0.3)
    lag = np.where(late, rng.random(n) * (h.t_as_of - acc_created), rng.uniform(0, 3 * DAY, n))
    created = np.minimum(acc_created + lag.astype(np.int64), h.t_as_of + 17 * 3600)
    created = np.clip(work_hours(rng, created), acc_created + 60, h.t_as_of + 18 * 3600)
    created = np.where(first, acc_created + rng.integers(60, 3600, n), created)
    edit = np.where(rng.random(n) < 0.15,
                    work_hours(rng, between(rng, created + DAY, np.full(n, h.t_as_of))), NEVER)
    edit = np.where(edit <= created, NEVER, edit)
    if spec.name == "zoho":
        email = local + "@" + accounts["domain"].to_numpy()[acc]
    else:
        email = local + rng.integers(10, 99, n).astype(str).astype(object) + "@"
        email = email + accounts["domain"].to_numpy()[acc]
    df = pd.DataFrame({
        "acc": acc, "name": person, "email": email, "title": rng.integers(0, 8, n),
        "phone": rng.integers(0, 10**8, n), "created": created, "edit_ts": edit,
    })
    df = df.drop_duplicates(["acc", "name"], keep="first")
    return df.sort_values(["created", "acc"], kind="stable").reset_index(drop=True)


def build_leads(
    rng: np.random.Generator, world: SourceWorld, n_target: int, h: Horizon,
    spare_companies: np.ndarray,
) -> pd.DataFrame:
    """Leads: some converted into accounts (company = account name), the rest not.

    A converted lead's person is the account's first contact, and its conversion
    time is the account's creation, so the funnel's first stage has history.
    """
    acc = world.accounts
    created_acc = acc["created"].to_numpy()
    conv = np.flatnonzero((created_acc >= h.t0 + h.days(50)) & (rng.random(len(acc)) < 0.45))
    conv = conv[: n_target]
    first_contact = world.contacts.drop_duplicates("acc").set_index("acc")["name"]
    nc = len(conv)
    n_new = max(n_target - nc, 0)
    n = nc + n_new
    lead_created = np.empty(n, dtype=np.int64)
    lead_created[:nc] = created_acc[conv] - between(
        rng, np.full(nc, h.days(3)), np.full(nc, h.days(45)))
    lead_created[nc:] = between(rng, np.full(n_new, h.t0), np.full(n_new, h.t_as_of))
    lead_created = work_hours(rng, lead_created)
    lead_created = np.minimum(np.maximum(lead_created, h.t0 + 3600), h.t_as_of + 17 * 3600)
    lead_created[:nc] = np.minimum(lead_created[:nc], created_acc[conv] - 3600)
    person = np.empty(n, dtype=object)
    person[:nc] = first_contact.reindex(conv).fillna("").to_numpy()
    new_people, _ = people(rng, world.spec, n_new)
    person[nc:] = new_people
    missing = person == ""
    if missing.any():
        person[missing] = people(rng, world.spec, int(missing.sum()))[0]
    company = np.empty(n, dtype=object)
    company[:nc] = acc["name"].to_numpy()[conv]
    company[nc:] = spare_companies[:n_new]
    owner = np.empty(n, dtype=np.int64)
    owner[:nc] = acc["owner"].to_numpy()[conv]
    hire = np.array([to_ts(d) for d in world.reps["hire_date"]], dtype=np.int64)
    owner[nc:] = rng.integers(0, len(world.reps), n_new)
    lead_created[nc:] = np.maximum(lead_created[nc:], hire[owner[nc:]] + DAY)
    lead_created[nc:] = np.minimum(lead_created[nc:], h.t_as_of + 17 * 3600)
    converted_ts = np.full(n, NEVER)
    converted_ts[:nc] = created_acc[conv]
    # first touch: the lead is worked a few days after it comes in
    touch = lead_created + between(rng, np.full(n, h.days(1)), np.full(n, h.days(30)))
    touch[:nc] = np.minimum(touch[:nc], (lead_created[:nc] + converted_ts[:nc]) // 2)
    employees = np.empty(n, dtype=np.int64)
    employees[:nc] = acc["employees"].to_numpy()[conv]
    employees[nc:] = np.clip(np.rint(np.exp(rng.normal(4.0, 1.2, n_new))), 2, 50_000)
    industry = np.empty(n, dtype=np.int64)
    industry[:nc] = acc["industry"].to_numpy()[conv]
    industry[nc:] = rng.integers(0, N_INDUSTRY, n_new)
    df = pd.DataFrame({
        "name": person, "company": company, "acc": np.r_[conv, np.full(n_new, -1)],
        "owner": owner, "created": lead_created, "touch": touch, "converted": converted_ts,
        "final": rng.random(n), "source": rng.integers(0, 8, n), "industry": industry,
        "employees": employees, "rating": rng.integers(0, 3, n),
    })
    df = df.drop_duplicates(["name", "company"], keep="first")
    return df.sort_values(["created"], kind="stable").reset_index(drop=True)
