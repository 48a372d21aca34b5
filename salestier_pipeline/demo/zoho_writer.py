"""Render the International tenant as Zoho CRM exports (CSV, UTF-8 with BOM).

Headers are Zoho's English UI labels, except Leads, which is written the way
Zoho's API / data-backup export names columns (``Full_Name``, ``Lead_Status``
...), so both kinds of alias in the profile are exercised. Dates follow Zoho:
``MM/dd/yyyy`` and ``MM/dd/yyyy HH:mm:ss``; the API-named Leads file uses
``yyyy-MM-dd HH:mm:ss``. Amounts are mostly ``1234.50``, some ``1,234.50``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from salestier_pipeline.demo.crm_deals import INVALID, LOST, OPEN, REASON_COMPETITION, WON, deal_state
from salestier_pipeline.demo.crm_model import SourceWorld
from salestier_pipeline.demo.formats import fmt_amount, fmt_ts, zfill
from salestier_pipeline.demo.snapshot import Cut, changed, frame, label, last_activity, modified_at, styled

INDUSTRIES = ("Technology", "Manufacturing", "Retail", "Healthcare", "Financial Services",
              "Education", "Government", "Telecommunications", "Energy", "Logistics")
STATES = ("California", "New York", "Texas", "Illinois", "Ontario", "British Columbia",
          "England", "Scotland", "Bavaria", "Île-de-France", "New South Wales", "Victoria")
TITLES = ("CEO", "CFO", "CTO", "VP Sales", "Procurement Manager", "IT Director",
          "Operations Manager", "Purchasing Agent")
LEAD_SOURCES = ("Employee Referral", "Partner", "Web Download", "Trade Show", "Advertisement",
                "Cold Call", "Seminar Partner", "Chat")
LEAD_FINAL = (("Attempted to Contact", 0.2), ("Contacted", 0.2), ("Contact in Future", 0.15),
              ("Junk Lead", 0.1), ("Lost Lead", 0.1), ("Not Qualified", 0.15),
              ("Pre-Qualified", 0.1))
RATINGS = ("Hot", "Warm", "Cold")
STAGES = ("Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
          "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review")
STAGE_PROB = (10, 20, 40, 60, 70, 75, 90)
LOSS_REASONS = ("Competition", "Price", "No Budget", "Lost Interest", "Timing")
CALL_SUBJECTS = ("Discovery call", "Follow-up call", "Pricing discussion", "Check-in call",
                 "Demo scheduling", "Renewal call", "Reference call", "Support follow-up",
                 "Budget confirmation", "Intro call")
MEETING_TITLES = ("Product demo", "Quarterly business review", "Onsite workshop",
                  "Contract review", "Kick-off meeting", "Executive briefing",
                  "Technical deep dive", "Requirements workshop", "Steering committee",
                  "Lunch meeting")
TASK_SUBJECTS = ("Send proposal", "Prepare quote", "Follow up on email", "Update account plan",
                 "Send contract", "Schedule demo", "Send case study", "Confirm PO",
                 "Prepare QBR deck", "Check onboarding")
TASK_OPEN = ("Not Started", "In Progress", "Deferred", "Waiting for input")
CASE_SUBJECTS = ("Thank you for quick onboarding", "Delivery delay", "Great support experience",
                 "Invoice dispute", "Feature request resolved", "Login issue unresolved",
                 "Training request", "Escalation: slow response")  # even = praise
ID_BASE = 4_876_876_000_000_000_000
MODULE_CODE = {"accounts": 1, "contacts": 2, "leads": 3, "deals": 4, "calls": 5, "meetings": 6,
               "tasks": 7}


def record_ids(module: str, idx: np.ndarray) -> np.ndarray:
    """Zoho-style record ids ('zcrm_4876876001000000001'), stable per record."""
    n = ID_BASE + MODULE_CODE[module] * 10**9 + np.asarray(idx, dtype=np.int64) + 1
    return "zcrm_" + n.astype(str).astype(object)


def _mdy(ts: np.ndarray) -> np.ndarray:
    """Zoho UI timestamp: MM/dd/yyyy HH:mm:ss."""
    return fmt_ts(ts, "mdy", "hms")


def _owner(world: SourceWorld, owner: np.ndarray) -> np.ndarray:
    """CRM owner column: the rep name as the roster spells it."""
    return world.reps["rep_name"].to_numpy().astype(object)[owner]


def _amount(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Most amounts plain, about 30 % with thousands separators, fixed per record."""
    return fmt_amount(values, styled(idx, {"plain": 0.7, "comma": 0.3}))


def accounts(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Accounts; Account Type turns Prospect -> Customer at the first purchase."""
    a = world.accounts
    first_buy = a["first_buy"].to_numpy()
    mod = modified_at(a["created"], cut.c, a["edit_ts"], first_buy)
    rows = np.flatnonzero(changed(a["created"], mod, cut))
    s = a.iloc[rows]
    parent = s["parent"].to_numpy()
    names = a["name"].to_numpy()
    revenue = s["revenue"].to_numpy()
    rating = np.where(s["key"], 0, np.where(revenue >= np.median(a["revenue"]), 1, 2))
    return frame({
        "Record Id": record_ids("accounts", rows),
        "Account Owner": _owner(world, s["owner"].to_numpy()),
        "Account Name": s["name"],
        "Parent Account": np.where(parent >= 0, names[np.maximum(parent, 0)], ""),
        "Account Type": np.where(first_buy[rows] < cut.c, "Customer", "Prospect"),
        "Industry": label(INDUSTRIES, s["industry"]),
        "Employees": s["employees"].astype(str),
        "Annual Revenue": _amount(revenue, rows),
        "Rating": label(RATINGS, rating),
        "Billing State": label(STATES, s["state"]),
        "Last Activity Time": _mdy(last_activity(world, cut.c)[rows]),
        "Created Time": _mdy(s["created"]),
        "Modified Time": _mdy(mod[rows]),
    })


def contacts(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Contacts, linked to their account by name and by Account Name.id."""
    c = world.contacts
    mod = modified_at(c["created"], cut.c, c["edit_ts"])
    rows = np.flatnonzero(changed(c["created"], mod, cut))
    s = c.iloc[rows]
    acc = s["acc"].to_numpy()
    ph = s["phone"].to_numpy()
    phone = ("+1 " + (200 + ph % 800).astype(str).astype(object) + "-555-"
             + zfill(ph // 1000 % 10000, 4))
    return frame({
        "Record Id": record_ids("contacts", rows),
        "Contact Owner": _owner(world, world.accounts["owner"].to_numpy()[acc]),
        "Full Name": s["name"],
        "Account Name": world.accounts["name"].to_numpy()[acc],
        "Account Name.id": record_ids("accounts", acc),
        "Title": label(TITLES, s["title"]),
        "Email": s["email"],
        "Phone": phone,
        "Created Time": _mdy(s["created"]),
        "Modified Time": _mdy(mod[rows]),
    })


def leads(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Leads with Zoho API names (data-backup style), ISO-like timestamps."""
    ld = world.leads
    mod = modified_at(ld["created"], cut.c, ld["touch"], ld["converted"])
    rows = np.flatnonzero(changed(ld["created"], mod, cut))
    s = ld.iloc[rows]
    converted = s["converted"].to_numpy() < cut.c
    touched = s["touch"].to_numpy() < cut.c
    edges = np.cumsum([p for _, p in LEAD_FINAL])
    final = np.asarray([x for x, _ in LEAD_FINAL], dtype=object)[
        np.minimum(np.searchsorted(edges, s["final"].to_numpy()), len(LEAD_FINAL) - 1)]
    status = np.where(converted, "Pre-Qualified", np.where(
        touched, np.where(s["acc"].to_numpy() >= 0, "Contacted", final), "Not Contacted"))
    return frame({
        "id": record_ids("leads", rows),
        "Owner": _owner(world, s["owner"].to_numpy()),
        "Full_Name": s["name"],
        "Company": s["company"],
        "Lead_Source": label(LEAD_SOURCES, s["source"]),
        "Lead_Status": status,
        "Industry": label(INDUSTRIES, s["industry"]),
        "No_of_Employees": s["employees"].astype(str),
        "Rating": label(RATINGS, s["rating"]),
        "Converted__s": np.where(converted, "true", "false"),
        "Converted_Account": np.where(converted, s["company"], ""),
        "Created_Time": fmt_ts(s["created"], "ymd", "hms"),
        "Modified_Time": fmt_ts(mod[rows], "ymd", "hms"),
    })


def deals(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Deals at the cut-off: open deals show the rep's expected close, closed ones the actual."""
    d = world.deals
    st = deal_state(world, cut.c)
    rows = np.flatnonzero(changed(d["created"], st["modified"], cut))
    s, t = d.iloc[rows], st.iloc[rows]
    outcome = t["outcome"].to_numpy()
    stage = t["stage"].to_numpy()
    lost = (outcome == LOST) | (outcome == INVALID)
    comp = lost & (s["reason"].to_numpy() == REASON_COMPETITION)
    stage_txt = np.where(outcome == WON, "Closed Won", np.where(
        comp, "Closed Lost to Competition", np.where(lost, "Closed Lost", label(STAGES, stage))))
    prob = np.where(outcome == WON, 100, np.where(lost, 0, np.asarray(STAGE_PROB)[stage]))
    close = np.where(outcome == OPEN, s["expected"].to_numpy(), s["close"].to_numpy())
    acc = s["acc"].to_numpy()
    return frame({
        "Record Id": record_ids("deals", rows),
        "Deal Owner": _owner(world, s["owner"].to_numpy()),
        "Deal Name": s["name"],
        "Account Name": world.accounts["name"].to_numpy()[acc],
        "Account Name.id": record_ids("accounts", acc),
        "Type": np.where(s["existing"], "Existing Business", "New Business"),
        "Lead Source": label(LEAD_SOURCES, s["lead_source"]),
        "Contact Name": s["contact"],
        "Amount": _amount(s["amount"].to_numpy(), rows),
        "Currency": np.full(len(rows), "USD", dtype=object),
        "Closing Date": fmt_ts(close, "mdy"),
        "Stage": stage_txt,
        "Probability (%)": prob.astype(str),
        "Reason For Loss": np.where(lost, label(LOSS_REASONS, s["reason"]), ""),
        "Created Time": _mdy(s["created"]),
        "Modified Time": _mdy(t["modified"]),
    })


def _activities(world: SourceWorld, cut: Cut, kind: int) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Rows of one activity kind to export, and the columns every kind shares."""
    acts = world.activities
    rows = np.flatnonzero((acts["kind"].to_numpy() == kind) & changed(
        acts["visible"], acts["visible"], cut))
    s = acts.iloc[rows]
    deal = s["deal"].to_numpy()
    # record ids number the activities of one kind in a fixed order, independent of the cut
    all_rows = np.flatnonzero(acts["kind"].to_numpy() == kind)
    pos = np.searchsorted(all_rows, rows)
    common = {
        "Related To": world.accounts["name"].to_numpy()[s["acc"].to_numpy()],
        "Deal Name": np.where(deal >= 0, world.deals["name"].to_numpy()[np.maximum(deal, 0)], ""),
        "Created Time": _mdy(s["created"]),
        "Modified Time": _mdy(s["modified"]),
    }
    return s, pos, common


def calls(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Calls (activity kind 0)."""
    s, pos, common = _activities(world, cut, 0)
    return frame({
        "Record Id": record_ids("calls", pos),
        "Subject": label(CALL_SUBJECTS, s["subject"]),
        "Call Start Time": _mdy(s["ts"]),
        "Call Duration (in minutes)": s["duration"].astype(str),
        "Call Status": np.full(len(s), "Completed", dtype=object),
        "Related To": common["Related To"],
        "Deal Name": common["Deal Name"],
        "Call Owner": _owner(world, s["owner"].to_numpy()),
        "Created Time": common["Created Time"],
        "Modified Time": common["Modified Time"],
    })


def meetings(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Meetings / events (activity kind 1)."""
    s, pos, common = _activities(world, cut, 1)
    return frame({
        "Record Id": record_ids("meetings", pos),
        "Title": label(MEETING_TITLES, s["subject"]),
        "Start DateTime": _mdy(s["ts"]),
        "Related To": common["Related To"],
        "Deal Name": common["Deal Name"],
        "Host": _owner(world, s["owner"].to_numpy()),
        "Created Time": common["Created Time"],
        "Modified Time": common["Modified Time"],
    })


def tasks(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Tasks (activity kind 2); Due Date is a date without time, as in Zoho."""
    s, pos, common = _activities(world, cut, 2)
    return frame({
        "Record Id": record_ids("tasks", pos),
        "Subject": label(TASK_SUBJECTS, s["subject"]),
        "Due Date": fmt_ts(s["ts"], "mdy"),
        "Status": np.where(s["done"], "Completed", label(TASK_OPEN, s["subject"].to_numpy() % 4)),
        "Related To": common["Related To"],
        "Deal Name": common["Deal Name"],
        "Task Owner": _owner(world, s["owner"].to_numpy()),
        "Created Time": common["Created Time"],
        "Modified Time": common["Modified Time"],
    })


def sales_orders(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Sales Orders; re-exported once delivered (Status Created -> Delivered)."""
    o = world.orders
    mod = modified_at(o["ts"], cut.c, o["delivered"])
    rows = np.flatnonzero(changed(o["ts"], mod, cut))
    s = o.iloc[rows]
    deal = s["deal"].to_numpy()
    return frame({
        "SO Number": "SO-" + zfill(s["number"].to_numpy(), 6),
        "Account Name": world.accounts["name"].to_numpy()[s["acc"].to_numpy()],
        "Deal Name": np.where(deal >= 0, world.deals["name"].to_numpy()[np.maximum(deal, 0)], ""),
        "Sales Order Owner": _owner(world, s["owner"].to_numpy()),
        "Grand Total": _amount(s["amount"].to_numpy(), rows),
        "Currency": np.full(len(rows), "USD", dtype=object),
        "Status": np.where(s["delivered"].to_numpy() < cut.c, "Delivered", "Created"),
        "Created Time": _mdy(s["ts"]),
        "Modified Time": _mdy(mod[rows]),
    })


def cases(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """Cases carrying a 1-5 Satisfaction rating (csat_1_5)."""
    f = world.feedback
    rows = np.flatnonzero(changed(f["modified"], f["modified"], cut))
    s = f.iloc[rows]
    return frame({
        "Case Number": (1001 + rows).astype(str),
        "Case Owner": _owner(world, s["owner"].to_numpy()),
        "Account Name": world.accounts["name"].to_numpy()[s["acc"].to_numpy()],
        "Subject": label(CASE_SUBJECTS, s["comment"]),
        "Satisfaction": s["score"].astype(str),
        "Created Time": _mdy(s["ts"]),
        "Modified Time": _mdy(s["modified"]),
    })


# module key (as in profiles/zoho.yml) -> (file name, renderer)
MODULES: dict[str, tuple[str, Callable[[SourceWorld, Cut], pd.DataFrame]]] = {
    "accounts": ("Accounts.csv", accounts),
    "contacts": ("Contacts.csv", contacts),
    "leads": ("Leads.csv", leads),
    "opportunities": ("Deals.csv", deals),
    "calls": ("Calls.csv", calls),
    "meetings": ("Meetings.csv", meetings),
    "tasks": ("Tasks.csv", tasks),
    "orders": ("Sales_Orders.csv", sales_orders),
    "cases": ("Cases.csv", cases),
}


def write(df: pd.DataFrame, path: Path) -> None:
    """Zoho export encoding: UTF-8 with BOM, LF line ends, minimal quoting."""
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
