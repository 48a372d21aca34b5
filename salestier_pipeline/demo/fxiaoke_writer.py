"""Render the China tenant as 纷享销客 (Fxiaoke) exports.

Headers are Simplified Chinese UI labels, except 联系人, which uses the
Traditional Chinese labels (聯絡人 export from a zh-TW tenant), so both alias
kinds are exercised. 客户 is an .xlsx workbook; 商机 is a GBK CSV (what Excel
on a Chinese Windows writes); the rest are UTF-8 CSV. No record ids, except
销售订单编号: records are identified by names, as in real Fxiaoke exports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from salestier_pipeline.demo.crm_deals import LOST, OPEN, WON, deal_state
from salestier_pipeline.demo.crm_model import SourceWorld
from salestier_pipeline.demo.formats import excel_serial, fmt_amount, fmt_ts, zfill
from salestier_pipeline.demo.snapshot import Cut, changed, frame, label, last_activity, modified_at, styled

INDUSTRIES = ("信息技术", "制造业", "零售", "医疗健康", "金融", "教育", "政府机构", "通信", "能源",
              "物流")
REGIONS = ("上海市/上海市/浦东新区", "北京市/北京市/海淀区", "广东省/深圳市/南山区",
           "浙江省/杭州市/西湖区", "江苏省/苏州市/工业园区", "四川省/成都市/高新区",
           "湖北省/武汉市/洪山区", "广东省/广州市/天河区", "山东省/青岛市/市南区",
           "福建省/厦门市/思明区", "天津市/天津市/滨海新区", "陕西省/西安市/雁塔区")
LEVELS = ("重要客户", "普通客户", "一般客户")
TITLES = ("总经理", "财务总监", "技术总监", "销售总监", "采购经理", "IT主管", "运营经理", "采购专员")
SOURCES = ("转介绍", "合作伙伴", "官网", "展会", "广告", "电话营销", "研讨会", "在线咨询")
STAGES = ("验证客户", "需求确定", "方案/报价", "商务谈判")
STAGE_PROB = (10, 30, 50, 80)
LOSS_REASONS = ("选择竞品", "价格过高", "预算不足", "需求变化", "决策延期")
KINDS = ("电话", "拜访", "微信", "邮件", "会议")
KIND_PREFIX = ("电话沟通：", "上门拜访：", "微信跟进：", "邮件发送：", "会议纪要：")
CONTENT = ("确认需求细节", "介绍产品方案", "跟进报价反馈", "预约下次拜访", "讨论合同条款",
           "了解预算安排", "解答技术问题", "跟进回款进度", "收集使用反馈", "推荐新产品")
COMMENTS = ("服务满意，响应及时", "希望加快交付进度", "产品稳定，继续合作", "价格偏高",
            "实施顾问专业", "售后响应较慢", "培训效果好", "问题处理不及时")  # even = praise
MOBILE_PREFIX = ("138", "139", "136", "150", "151", "158", "186", "188", "135", "137")
WORKBOOK_TIME = dt.datetime(2026, 1, 1)  # fixed workbook properties: byte-identical files


def _owner(world: SourceWorld, owner: np.ndarray) -> np.ndarray:
    """负责人: the rep name as the roster spells it."""
    return world.reps["rep_name"].to_numpy().astype(object)[owner]


def _hm(ts: np.ndarray) -> np.ndarray:
    """Fxiaoke UI timestamp: yyyy-MM-dd HH:mm."""
    return fmt_ts(ts, "ymd", "hm")


def accounts(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """客户; 创建时间 stays numeric (seconds) here and becomes an Excel date cell."""
    a = world.accounts
    first, second = a["first_buy"].to_numpy(), a["second_buy"].to_numpy()
    mod = modified_at(a["created"], cut.c, a["edit_ts"], first, second)
    rows = np.flatnonzero(changed(a["created"], mod, cut))
    s = a.iloc[rows]
    revenue = s["revenue"].to_numpy()
    level = np.where(s["key"], 0, np.where(revenue >= np.median(a["revenue"]), 1, 2))
    buys = (first[rows] < cut.c).astype(int) + (second[rows] < cut.c).astype(int)
    style = styled(rows, {"number": 0.6, "yen": 0.2, "yuan": 0.2})
    rev_txt = fmt_amount(revenue, np.where(style == "number", "plain", style))
    rev = np.where(style == "number", revenue.astype(object), rev_txt)
    return frame({
        "客户名称": s["name"],
        "负责人": _owner(world, s["owner"].to_numpy()),
        "客户级别": label(LEVELS, level),
        "客户类型": np.where(s["parent"].to_numpy() >= 0, "分支机构", "企业客户"),
        "所属行业": label(INDUSTRIES, s["industry"]),
        "员工人数": s["employees"].to_numpy(),
        "年营业额": rev,
        "成交状态": label(("未成交", "已成交", "多次成交"), buys),
        "省/市/区": label(REGIONS, s["state"]),
        "最后跟进时间": _hm(last_activity(world, cut.c)[rows]),
        "创建时间": s["created"].to_numpy(),
        "最后修改时间": _hm(mod[rows]),
    })


def opportunities(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """商机 at the cut-off; a lost deal keeps the stage it was lost in."""
    d = world.deals
    st = deal_state(world, cut.c)
    rows = np.flatnonzero(changed(d["created"], st["modified"], cut))
    s, t = d.iloc[rows], st.iloc[rows]
    outcome = t["outcome"].to_numpy()
    stage = t["stage"].to_numpy()
    status = label(("进行中", "赢单", "输单", "无效"), outcome)
    prob = np.where(outcome == WON, 100, np.where(outcome == OPEN, np.asarray(STAGE_PROB)[stage], 0))
    close = np.where(outcome == OPEN, s["expected"].to_numpy(), s["close"].to_numpy())
    team = world.reps["team"].to_numpy().astype(object)[s["owner"].to_numpy()]
    return frame({
        "商机名称": s["name"],
        "客户名称": world.accounts["name"].to_numpy()[s["acc"].to_numpy()],
        "商机金额": fmt_amount(s["amount"].to_numpy(),
                           styled(rows, {"plain": 0.6, "comma": 0.2, "yuan": 0.2})),
        "预计成交日期": fmt_ts(close, "ymd"),
        "商机阶段": np.where(outcome == WON, "赢单", label(STAGES, stage)),
        "阶段状态": status,
        "赢率": prob.astype(str),
        "负责人": _owner(world, s["owner"].to_numpy()),
        "负责人主属部门": team,
        "商机来源": label(SOURCES, s["lead_source"]),
        "输单原因": np.where(outcome == LOST, label(LOSS_REASONS, s["reason"]), ""),
        "阶段变更时间": _hm(t["stage_changed"]),
        "创建时间": _hm(s["created"]),
        "最后修改时间": _hm(t["modified"]),
    })


def contacts(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """聯絡人 with Traditional Chinese headers (values stay as the tenant typed them)."""
    c = world.contacts
    mod = modified_at(c["created"], cut.c, c["edit_ts"])
    rows = np.flatnonzero(changed(c["created"], mod, cut))
    s = c.iloc[rows]
    acc = s["acc"].to_numpy()
    ph = s["phone"].to_numpy()
    mobile = label(MOBILE_PREFIX, ph % 10) + zfill(ph, 8)
    return frame({
        "姓名": s["name"],
        "客戶名稱": world.accounts["name"].to_numpy()[acc],
        "職務": label(TITLES, s["title"]),
        "手機": mobile,
        "郵箱": s["email"],
        "負責人": _owner(world, world.accounts["owner"].to_numpy()[acc]),
        "創建時間": _hm(s["created"]),
        "最後修改時間": _hm(mod[rows]),
    })


def leads(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """销售线索: 待处理 -> 跟进中 / 无效, or 已转换 with 转换客户 = the new account."""
    ld = world.leads
    mod = modified_at(ld["created"], cut.c, ld["touch"], ld["converted"])
    rows = np.flatnonzero(changed(ld["created"], mod, cut))
    s = ld.iloc[rows]
    converted = s["converted"].to_numpy() < cut.c
    touched = s["touch"].to_numpy() < cut.c
    worked = np.where((s["acc"].to_numpy() >= 0) | (s["final"].to_numpy() < 0.55), "跟进中", "无效")
    return frame({
        "姓名": s["name"],
        "公司名称": s["company"],
        "线索来源": label(SOURCES, s["source"]),
        "线索状态": np.where(converted, "已转换", np.where(touched, worked, "待处理")),
        "所属行业": label(INDUSTRIES, s["industry"]),
        "负责人": _owner(world, s["owner"].to_numpy()),
        "转换客户": np.where(converted, s["company"], ""),
        "创建时间": _hm(s["created"]),
        "最后修改时间": _hm(mod[rows]),
    })


def activities(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """销售记录: 互动方式 + 跟进内容, linked to the account (关联对象) and maybe a deal."""
    acts = world.activities
    rows = np.flatnonzero(changed(acts["visible"], acts["visible"], cut))
    s = acts.iloc[rows]
    kind = s["kind"].to_numpy()
    deal = s["deal"].to_numpy()
    return frame({
        "互动方式": label(KINDS, kind),
        "跟进内容": label(KIND_PREFIX, kind) + label(CONTENT, s["subject"]),
        "关联对象": world.accounts["name"].to_numpy()[s["acc"].to_numpy()],
        "关联商机": np.where(deal >= 0, world.deals["name"].to_numpy()[np.maximum(deal, 0)], ""),
        "创建人": _owner(world, s["owner"].to_numpy()),
        "创建时间": _hm(s["ts"]),
    })


def orders(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """销售订单: the only Fxiaoke export with a record number (销售订单编号)."""
    o = world.orders
    mod = modified_at(o["ts"], cut.c, o["delivered"])
    rows = np.flatnonzero(changed(o["ts"], mod, cut))
    s = o.iloc[rows]
    deal = s["deal"].to_numpy()
    number = "SO" + fmt_ts(s["ts"], "compact") + "-" + zfill(s["number"].to_numpy(), 6)
    return frame({
        "销售订单编号": number,
        "客户名称": world.accounts["name"].to_numpy()[s["acc"].to_numpy()],
        "商机名称": np.where(deal >= 0, world.deals["name"].to_numpy()[np.maximum(deal, 0)], ""),
        "下单日期": fmt_ts(s["ts"], "ymd_slash"),
        "销售订单金额（元）": fmt_amount(s["amount"].to_numpy(),
                                  styled(rows, {"plain": 0.5, "yen": 0.25, "yuan": 0.25})),
        "订单状态": np.where(s["delivered"].to_numpy() < cut.c, "已完成", "已确认"),
        "负责人": _owner(world, s["owner"].to_numpy()),
        "创建时间": _hm(s["ts"]),
        "最后修改时间": _hm(mod[rows]),
    })


def feedback(world: SourceWorld, cut: Cut) -> pd.DataFrame:
    """回访记录: 评分 on a 0-10 scale."""
    f = world.feedback
    rows = np.flatnonzero(changed(f["modified"], f["modified"], cut))
    s = f.iloc[rows]
    return frame({
        "客户名称": world.accounts["name"].to_numpy()[s["acc"].to_numpy()],
        "回访时间": _hm(s["ts"]),
        "评分": s["score"].astype(str),
        "回访内容": label(COMMENTS, s["comment"]),
        "负责人": _owner(world, s["owner"].to_numpy()),
    })


def write_xlsx(df: pd.DataFrame, path: Path) -> None:
    """客户 workbook: 创建时间 as real Excel date cells, the rest as Fxiaoke shows them.

    xlsxwriter in constant-memory mode streams rows, so 50k accounts stay cheap;
    fixed document properties (and xlsxwriter's fixed zip times) make the bytes
    reproducible.
    """
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": WORKBOOK_TIME, "author": "", "title": "客户"})
    ws = wb.add_worksheet("客户")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, list(df.columns))
    date_col = list(df.columns).index("创建时间")
    serial = excel_serial(df["创建时间"].to_numpy(dtype=np.int64))
    values = df.drop(columns=["创建时间"]).to_numpy(dtype=object).tolist()
    for r, (row, when) in enumerate(zip(values, serial.tolist(), strict=True), start=1):
        row.insert(date_col, None)
        ws.write_row(r, 0, row)
        ws.write_number(r, date_col, when, date_fmt)
    ws.set_column(0, len(df.columns) - 1, 16)
    wb.close()


def write_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    """Fxiaoke CSV: Windows line ends; GBK when the export came from Excel on Chinese Windows."""
    df.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")


# module key (as in profiles/fxiaoke.yml) -> (file stem, suffix, renderer)
MODULES: dict[str, tuple[str, str, Callable[[SourceWorld, Cut], pd.DataFrame]]] = {
    "accounts": ("客户", ".xlsx", accounts),
    "contacts": ("联系人", ".csv", contacts),
    "leads": ("销售线索", ".csv", leads),
    "opportunities": ("商机", ".csv", opportunities),
    "activities": ("销售记录", ".csv", activities),
    "orders": ("销售订单", ".csv", orders),
    "feedback": ("回访记录", ".csv", feedback),
}
ENCODING = {"opportunities": "gbk"}


def write(module: str, df: pd.DataFrame, path: Path) -> None:
    """Write one module file in its export format."""
    if module == "accounts":
        write_xlsx(df, path)
    else:
        write_csv(df, path, ENCODING.get(module, "utf-8"))
