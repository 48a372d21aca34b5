"""Word lists and vectorised name builders for the demo world.

Names are built by mixed-radix decoding of sampled integers, so a million
unique company names cost one ``rng.choice`` and a few array look-ups instead
of a Python loop. Every Chinese string here is encodable in GBK, because the
Fxiaoke opportunities export is written in GBK.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

EN_PREFIX = (
    "Acme", "Apex", "Arcadia", "Argent", "Atlas", "Aurora", "Azure", "Beacon", "Bellwether",
    "Birch", "Blue Harbor", "Bluestone", "Boreal", "Brightline", "Brookfield", "Cascade",
    "Cedar", "Citadel", "Clearwater", "Cobalt", "Coastal", "Copper", "Crescent", "Crest",
    "Crystal", "Cypress", "Delta", "Driftwood", "Eagle", "Eastgate", "Echo", "Elm", "Ember",
    "Evergreen", "Falcon", "Fairview", "Fieldstone", "Firefly", "Foxglove", "Frontier",
    "Galaxy", "Garnet", "Gateway", "Glacier", "Golden Gate", "Granite", "Greenleaf",
    "Harbor", "Harvest", "Hawthorne", "Highland", "Horizon", "Hudson", "Indigo", "Iron Oak",
    "Ivory", "Jade", "Juniper", "Keystone", "Kingfisher", "Lakeside", "Lantern", "Laurel",
    "Liberty", "Lighthouse", "Linden", "Lodestar", "Magnolia", "Maple", "Meridian", "Mesa",
    "Metro", "Midland", "Monarch", "Northwind", "Nova", "Oakridge", "Obsidian", "Olympus",
    "Onyx", "Orchid", "Pacific", "Paragon", "Pinnacle", "Pioneer", "Polaris", "Prairie",
    "Quantum", "Quarry", "Radiant", "Redwood", "Ridgeway", "Riverbend", "Sable", "Sapphire",
    "Sequoia", "Silverline", "Skyline", "Solstice", "Sterling", "Stonebridge", "Summit",
    "Sunrise", "Tidewater", "Timberline", "Titan", "Topaz", "Trident", "Union", "Vanguard",
    "Vertex", "Westbrook", "Willow", "Zenith", "Nordström", "Müller", "Café Royal", "Société",
)
EN_CORE = (
    "Analytics", "Apparel", "Automation", "Aviation", "Bio", "Brands", "Builders", "Capital",
    "Chemicals", "Cloud", "Communications", "Components", "Consulting", "Controls", "Data",
    "Design", "Devices", "Diagnostics", "Digital", "Distribution", "Dynamics", "Electric",
    "Electronics", "Energy", "Engineering", "Enterprises", "Environmental", "Equipment",
    "Fabrication", "Foods", "Freight", "Furniture", "Genomics", "Health", "Holdings",
    "Home", "Hospitality", "Imaging", "Industries", "Infrastructure", "Instruments",
    "Insurance", "Labs", "Learning", "Logistics", "Machinery", "Manufacturing", "Marine",
    "Materials", "Media", "Medical", "Metals", "Mining", "Mobility", "Motors", "Networks",
    "Nutrition", "Optics", "Outfitters", "Packaging", "Partners", "Pharma", "Plastics",
    "Power", "Precision", "Printing", "Properties", "Retail", "Robotics", "Security",
    "Semiconductors", "Software", "Solar", "Solutions", "Supply", "Systems", "Technologies",
    "Textiles", "Therapeutics", "Transport",
)
EN_FORM = (
    "Inc", "LLC", "Ltd", "GmbH", "Corp", "Group", "Co", "PLC", "AG", "SA", "BV", "Pty Ltd",
)
EN_FIRST = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
    "Mia", "William", "Amelia", "Benjamin", "Harper", "Lucas", "Evelyn", "Henry", "Abigail",
    "Alexander", "Emily", "Mason", "Ella", "Michael", "Elizabeth", "Ethan", "Camila", "Daniel",
    "Luna", "Jacob", "Sofia", "Logan", "Avery", "Jackson", "Mila", "Levi", "Aria", "Sebastian",
    "Scarlett", "Mateo", "Penelope", "Jack", "Layla", "Owen", "Chloe", "Theodore", "Victoria",
    "Aiden", "Madison", "Samuel", "Eleanor", "Joseph", "Grace", "John", "Nora", "David",
    "Riley", "Wyatt", "Zoey", "Matthew", "Hannah", "Luke", "Hazel", "Asher", "Lily", "Carter",
    "Ellie", "Julian", "Violet", "Grayson", "Lillian", "Leo", "Zoe", "Jayden", "Stella",
    "Gabriel", "Aurora", "Isaac", "Natalie", "Lincoln", "Emilia", "Anthony", "Everly",
    "Hudson", "Leah", "Dylan", "Aubrey", "Ezra", "Willow", "Thomas", "Addison", "Charles",
    "Lucy", "Christopher", "Audrey", "Jaxon", "Bella", "Maverick", "Nova", "Josiah", "Paisley",
    "Renée", "José", "Zoë", "Søren",
)
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward",
    "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza",
    "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long",
    "Ross", "Foster", "Jimenez", "O'Brien", "Schmidt", "Dubois", "Rossi", "Novak", "Larsen",
)

ZH_CITY = (
    "北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "重庆", "武汉", "西安", "天津",
    "青岛", "厦门", "宁波", "无锡", "长沙", "郑州", "合肥", "福州", "济南", "大连", "沈阳", "昆明",
    "东莞", "佛山", "常州", "南昌", "贵阳", "南宁", "石家庄", "太原", "温州", "嘉兴", "珠海",
    "烟台", "泉州", "绍兴", "中山", "徐州",
)
ZH_BRAND = (
    ("华信", "huaxin"), ("恒达", "hengda"), ("瑞丰", "ruifeng"), ("博远", "boyuan"),
    ("中科", "zhongke"), ("天成", "tiancheng"), ("金桥", "jinqiao"), ("新锐", "xinrui"),
    ("宏图", "hongtu"), ("汇通", "huitong"), ("鼎盛", "dingsheng"), ("嘉禾", "jiahe"),
    ("联创", "lianchuang"), ("蓝海", "lanhai"), ("安泰", "antai"), ("永兴", "yongxing"),
    ("盛世", "shengshi"), ("创维", "chuangwei"), ("东方", "dongfang"), ("启明", "qiming"),
    ("星辰", "xingchen"), ("华丰", "huafeng"), ("长城", "changcheng"), ("九洲", "jiuzhou"),
    ("同创", "tongchuang"), ("海纳", "haina"), ("正泰", "zhengtai"), ("和信", "hexin"),
    ("中博", "zhongbo"), ("卓越", "zhuoyue"), ("致远", "zhiyuan"), ("明德", "mingde"),
    ("万象", "wanxiang"), ("远航", "yuanhang"), ("科达", "keda"), ("昊天", "haotian"),
    ("润泽", "runze"), ("福瑞", "furui"), ("祥云", "xiangyun"), ("天元", "tianyuan"),
    ("鸿运", "hongyun"), ("金鼎", "jinding"), ("华美", "huamei"), ("信达", "xinda"),
    ("弘毅", "hongyi"), ("晨光", "chenguang"), ("凯盛", "kaisheng"), ("德邦", "debang"),
    ("荣盛", "rongsheng"), ("青松", "qingsong"), ("碧海", "bihai"), ("银河", "yinhe"),
    ("紫光", "ziguang"), ("光明", "guangming"), ("泰和", "taihe"), ("恒信", "hengxin"),
    ("众诚", "zhongcheng"), ("顺达", "shunda"), ("佳誉", "jiayu"), ("百川", "baichuan"),
    ("朗润", "langrun"), ("新宇", "xinyu"), ("华腾", "huateng"), ("天翼", "tianyi"),
    ("中联", "zhonglian"), ("汇丰源", "huifengyuan"), ("盈科", "yingke"), ("世纪", "shiji"),
    ("云帆", "yunfan"), ("锦程", "jincheng"), ("智创", "zhichuang"), ("协力", "xieli"),
    ("国泰", "guotai"), ("海天", "haitian"), ("金辉", "jinhui"), ("华晨", "huachen"),
    ("中汇", "zhonghui"), ("新元", "xinyuan"), ("万通", "wantong"), ("宝丰", "baofeng"),
)
ZH_INDUSTRY = (
    "科技", "信息技术", "电子", "机械", "智能制造", "新材料", "生物科技", "医药", "医疗器械",
    "物流", "供应链", "贸易", "食品", "化工", "能源", "环保", "建设", "建材", "汽车零部件",
    "精密仪器", "软件", "网络科技", "数据科技", "教育科技", "文化传媒", "电气", "纺织", "家居",
    "包装", "通信",
)
ZH_FORM = ("有限公司", "股份有限公司", "集团有限公司")
ZH_SURNAME = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"),
    ("叶", "ye"), ("程", "cheng"), ("苏", "su"), ("魏", "wei"), ("吕", "lv"), ("丁", "ding"),
    ("任", "ren"), ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"),
    ("钟", "zhong"), ("谭", "tan"), ("陆", "lu"), ("汪", "wang"), ("范", "fan"), ("欧阳", "ouyang"),
)
ZH_GIVEN = (
    "伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "涛", "明", "超", "霞",
    "平", "刚", "丽", "浩", "婷", "鹏", "辉", "宁", "雪", "琳", "斌", "波", "晨", "峰", "建国",
    "建华", "志强", "志明", "海燕", "秀英", "桂英", "晓东", "晓明", "晓丽", "丽娟", "春梅", "国强",
    "文博", "子涵", "梓萱", "一诺", "浩然", "宇轩", "欣怡", "思远", "佳怡", "俊杰", "嘉怡", "雨涵",
    "天宇", "子轩", "博文", "诗涵", "可馨", "明轩", "梦琪", "晓峰", "振华", "立新", "红梅", "玉兰",
    "永刚", "德华", "家豪", "雅婷", "少华", "宏伟", "冬梅", "金凤", "鑫", "昊", "睿", "彤", "琪",
    "凯", "毅", "瑶", "璐", "晶", "倩", "楠", "岩", "阳", "帆", "骏", "哲", "悦", "蕾", "婧",
    "诗雨", "卫东", "爱华", "新民", "志刚", "晓燕", "秀兰", "建军", "海涛", "丽华",
)


def _pick(table: tuple, idx: np.ndarray) -> np.ndarray:
    """Look values up by index into an object array (vectorised)."""
    return np.asarray(table, dtype=object)[idx]


def unique_indices(rng: np.random.Generator, n: int, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw n distinct codes from [0, space); beyond the space, repeat codes with a copy number.

    Returns (codes, copy) where copy is 0 for the first use of a code, so callers
    can suffix the rare repeats and keep names unique at any scale.
    """
    take = min(n, space)
    codes = rng.choice(space, size=take, replace=False)
    copy = np.zeros(take, dtype=np.int64)
    if n > space:
        extra = np.arange(n - take)
        codes = np.concatenate([codes, codes[extra % take]])
        copy = np.concatenate([copy, 1 + extra // take])
    return codes, copy


def _suffix(names: np.ndarray, copy: np.ndarray, sep: str) -> np.ndarray:
    """Append ' 2', ' 3', ... to repeated names so every name stays unique."""
    out = names.copy()
    rep = copy > 0
    if rep.any():
        out[rep] = out[rep] + sep + (copy[rep] + 1).astype(str).astype(object)
    return out


def ascii_slug(words: tuple[str, ...]) -> tuple[str, ...]:
    """Lower-case ASCII form of each word ('Nordström' -> 'nordstrom') for e-mail addresses."""
    out = []
    for w in words:
        folded = unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode()
        out.append(re.sub(r"[^a-z0-9]", "", folded.lower()))
    return tuple(out)


def english_companies(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n unique English company names ('Northwind Analytics Ltd') and their e-mail domains."""
    a, b, c = len(EN_PREFIX), len(EN_CORE), len(EN_FORM)
    codes, copy = unique_indices(rng, n, a * b * c)
    pre, core = codes // (b * c), codes // c % b
    names = _pick(EN_PREFIX, pre) + " " + _pick(EN_CORE, core) + " " + _pick(EN_FORM, codes % c)
    domains = _pick(ascii_slug(EN_PREFIX), pre) + _pick(ascii_slug(EN_CORE), core) + ".com"
    return _suffix(names, copy, " "), domains


def chinese_companies(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n unique Chinese company names (深圳华信科技有限公司) and their e-mail domains."""
    a, b, c, d = len(ZH_CITY), len(ZH_BRAND), len(ZH_INDUSTRY), len(ZH_FORM)
    codes, copy = unique_indices(rng, n, a * b * c * d)
    brand = codes // (c * d) % b
    names = _pick(ZH_CITY, codes // (b * c * d)) + _pick(tuple(x[0] for x in ZH_BRAND), brand)
    names = names + _pick(ZH_INDUSTRY, codes // d % c) + _pick(ZH_FORM, codes % d)
    domains = _pick(tuple(x[1] for x in ZH_BRAND), brand) + ".com.cn"
    return _suffix(names, copy, ""), domains


def _codes(rng: np.random.Generator, n: int, space: int, unique: bool) -> tuple:
    """Name codes: distinct for reps (the roster resolves owners by name), free otherwise."""
    if unique:
        return unique_indices(rng, n, space)
    return rng.integers(0, space, n), np.zeros(n, dtype=np.int64)


def english_people(rng: np.random.Generator, n: int, unique: bool = False) -> tuple:
    """n English person names and e-mail local parts ('olivia.smith')."""
    a, b = len(EN_FIRST), len(EN_LAST)
    codes, copy = _codes(rng, n, a * b, unique)
    first, last = codes // b, codes % b
    names = _pick(EN_FIRST, first) + " " + _pick(EN_LAST, last)
    local = _pick(ascii_slug(EN_FIRST), first) + "." + _pick(ascii_slug(EN_LAST), last)
    return _suffix(names, copy, " "), local


def chinese_people(rng: np.random.Generator, n: int, unique: bool = False) -> tuple:
    """n Chinese person names (王伟) and pinyin-ish e-mail local parts ('wang17')."""
    a, b = len(ZH_SURNAME), len(ZH_GIVEN)
    codes, copy = _codes(rng, n, a * b, unique)
    sur = codes // b
    names = _pick(tuple(s[0] for s in ZH_SURNAME), sur) + _pick(ZH_GIVEN, codes % b)
    local = _pick(tuple(s[1] for s in ZH_SURNAME), sur) + (codes % b).astype(str).astype(object)
    return _suffix(names, copy, ""), local
