"""Deterministic programme data generator (DATA.md dataset family, approval years 2017–2019).

``generate(out_dir, projects, seed, fmt, messy)`` writes projects, milestones, disbursements,
progress_reports, kpi_targets, kpi_actuals, expert_reviews and review_decisions and returns a
summary dict. Same arguments → byte-identical files (no timestamps anywhere).

* Clean/scale mode (``messy=False``): one CSV (or Parquet) per dataset, English headers, ISO
  dates, codes; generated in chunks of ``CHUNK`` projects with numpy/polars and appended, so
  memory stays flat at any size. Every row is clean under DATA.md.
* Bundled mode (``messy=True``): the committed ``data/raw`` sample — realistic government-export
  mess (XLSX with title rows, GBK, BOM, Chinese headers and labels, mixed date styles, thousands
  separators) plus a few genuinely bad rows, listed in the summary. Behaviour archetypes make
  every grade, flag and recommendation of SCORING.md appear in the 2018 and 2019 reviews; an
  independent reading of SCORING.md (``scorecard.generate_expect``-style oracle below) picks the
  recorded review decisions and reports the expected review outcomes in the summary.

See docs/data.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl

from scorecard import codes

CHUNK = 20_000
YEARS = (2017, 2018, 2019)
REVIEW_YEARS = (2017, 2018, 2019)
DATASET_NAMES = (
    "projects",
    "milestones",
    "disbursements",
    "progress_reports",
    "kpi_targets",
    "kpi_actuals",
    "expert_reviews",
    "review_decisions",
)

FIELD_CODES = list(codes.FIELDS)
PLAN_CODES = list(codes.PLANS)  # core_tech, demonstration, industrialization, innovation_carrier, service_platform, chain_fusion
DEPT_CODES = list(codes.DEPARTMENTS)  # drc, eitc, stic
UTYPE_CODES = list(codes.UNDERTAKER_TYPES)  # enterprise, university, institute, hospital, other
SEL_CODES = list(codes.SELECTION_METHODS)  # tender, bounty, directed, merit, application
SUPPORT_CODES = list(codes.SUPPORT_MODES)  # grant, equity, loan_subsidy
STAGE_CODES = list(codes.FUNDING_STAGES)  # ex_ante, in_process, ex_post
RISK_CODES = list(codes.RISK_LEVELS)
IND_CODES = list(codes.INDICATORS)
OUTPUT_IND = [i for i in IND_CODES if codes.INDICATORS[i][2] == "output"]
OUTCOME_IND = [i for i in IND_CODES if codes.INDICATORS[i][2] == "outcome"]
MONEY_IND = {"revenue", "tax", "investment_attracted"}

# Bundle plan counts (PROGRAM.md targets: core_tech >50 met, carriers >100 missed, demonstration
# >50 met, fusion >10 missed, industrialization >200 met).
BUNDLE_PLAN_COUNTS = {
    "core_tech": 56,
    "demonstration": 58,
    "industrialization": 205,
    "innovation_carrier": 92,
    "service_platform": 30,
    "chain_fusion": 9,
}
# Net disbursement per calendar year the bundle is scaled to (near, not exactly, 200,000 万元).
BUNDLE_BUDGET = {2017: 193_600.0, 2018: 204_800.0, 2019: 198_900.0}

NT = 4  # disbursement tranches per project (district share of the first one is a 5th payment)
EPOCH = np.datetime64("1970-01-01", "D")


def _d(s: str) -> int:
    return int((np.datetime64(s, "D") - EPOCH).astype(np.int64))


def _date(days: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(days))


SNAPSHOT = _d("2020-01-31")  # the data were extracted then: later completions are unknown
LAST_DAY = _d("2019-12-31")  # payments and report periods up to here
NONE_DAY = 10**6  # "never"
LAST_QA = 2019 * 4 + 3  # absolute quarter index of 2019Q4

# ---------------------------------------------------------------- archetypes
# Behaviour archetypes: milestone delay (mean, sd, days), fiscal execution (lo, hi), self-funds
# arrival (lo, hi), KPI achievement factor (lo, hi), expert mean, risk level, rounding of counts.
ARCH = [
    # name          delay      exec         self        kpi          exp  risk rounding
    ("excellent", (-10, 8), (0.86, 0.97), (1.0, 1.2), (1.10, 1.30), 93, 0, "ceil"),
    ("good", (20, 15), (0.70, 0.90), (0.85, 1.05), (0.72, 0.86), 82, 0, "ceil"),
    ("fair", (50, 30), (0.50, 0.75), (0.60, 0.85), (0.50, 0.70), 72, 1, "ceil"),
    ("poor", (150, 60), (0.35, 0.55), (0.50, 0.70), (0.15, 0.40), 56, 2, "floor"),
    ("stalled", (10, 10), (0.50, 0.70), (0.70, 0.90), (0.75, 0.90), 70, 1, "ceil"),
    ("overspend", (10, 10), (1.12, 1.30), (0.85, 1.05), (0.85, 1.00), 82, 1, "ceil"),
    ("fraud", (0, 8), (0.80, 0.95), (0.95, 1.10), (1.00, 1.20), 80, 0, "ceil"),
    ("silent", (0, 10), (0.50, 0.70), (0.60, 0.80), (0.50, 0.70), 60, 1, "round"),
    ("no_data", (0, 10), (0.50, 0.70), (0.60, 0.80), (0.50, 0.70), 70, 1, "round"),
    ("low_execution", (20, 15), (0.08, 0.22), (0.75, 0.95), (0.75, 0.90), 76, 1, "ceil"),
    ("self_funds_gap", (15, 12), (0.72, 0.90), (0.15, 0.35), (0.80, 0.95), 80, 1, "ceil"),
    ("declining", (8, 8), (0.75, 0.90), (0.85, 1.00), (0.85, 0.95), 84, 0, "ceil"),
]
ARCH_NAMES = [a[0] for a in ARCH]
A = {name: i for i, name in enumerate(ARCH_NAMES)}
# Mixture used in clean mode (and the bundle's base mix before the special archetypes).
ARCH_WEIGHTS = np.array([0.14, 0.40, 0.20, 0.05, 0.03, 0.03, 0.015, 0.03, 0.02, 0.03, 0.03, 0.025])
ARCH_WEIGHTS = ARCH_WEIGHTS / ARCH_WEIGHTS.sum()

# ---------------------------------------------------------------- vocabulary
TECHS = {
    "5g": ["基于毫米波的", "面向大规模MIMO的", "低时延高可靠", "基于软件定义网络的", "面向工业互联网的", "高集成度"],
    "graphene": ["高导热", "基于化学气相沉积的", "大面积高质量", "低成本", "柔性", "高比能"],
    "vr_ar": ["高分辨率", "基于光场显示的", "低延迟", "面向医疗培训的", "轻量化", "多模态交互"],
    "robotics": ["高精度", "协作型", "基于机器视觉的", "智能化", "高负载", "柔性"],
    "micro_nano": ["纳米级", "基于MEMS工艺的", "高灵敏度", "低功耗", "超薄", "高性能"],
    "biotech": ["基于高通量测序的", "靶向", "基于人工智能的", "个体化", "基于CAR-T的", "无创"],
    "unmanned": ["长航时", "基于多传感器融合的", "全天候", "集群协同", "自主导航", "城市级"],
    "nev": ["高能量密度", "高安全性", "大功率", "智能网联", "轻量化", "长寿命"],
    "fintech": ["基于区块链的", "基于大数据的", "分布式", "可信", "智能", "基于联邦学习的"],
    "additive_laser": ["大尺寸", "高功率", "超快", "多材料", "精密", "基于选区激光熔化的"],
}
PRODUCTS = {
    "5g": ["5G基站射频芯片", "5G小基站", "光传输模块", "5G终端天线", "边缘计算网关", "滤波器"],
    "graphene": ["石墨烯导热膜", "石墨烯薄膜", "石墨烯锂电池导电剂", "石墨烯传感器", "石墨烯散热材料", "石墨烯粉体"],
    "vr_ar": ["VR头戴显示设备", "AR智能眼镜", "三维重建系统", "虚拟仿真实训平台", "近眼显示模组", "全景相机"],
    "robotics": ["工业机器人减速器", "服务机器人", "伺服电机", "智能仓储装备", "手术机器人", "焊接机器人"],
    "micro_nano": ["MEMS传感器", "纳米银导电浆料", "微流控芯片", "纳米涂层材料", "射频前端器件", "光电探测器"],
    "biotech": ["基因检测试剂盒", "肿瘤早筛系统", "生物药", "细胞治疗产品", "精准医疗大数据平台", "医学影像设备"],
    "unmanned": ["工业级无人机", "无人驾驶清扫车", "水面无人艇", "智能巡检系统", "无人配送车", "飞控系统"],
    "nev": ["动力电池", "驱动电机", "燃料电池电堆", "电池管理系统", "充电桩", "电动客车"],
    "fintech": ["跨境支付平台", "供应链金融平台", "智能风控系统", "数字身份认证系统", "监管科技平台", "智能投顾系统"],
    "additive_laser": ["金属3D打印装备", "激光切割装备", "光纤激光器", "激光焊接系统", "3D打印粉末材料", "激光微加工装备"],
}
AREAS = {
    "5g": "5G移动通信",
    "graphene": "石墨烯材料",
    "vr_ar": "虚拟现实",
    "robotics": "智能机器人",
    "micro_nano": "微纳器件",
    "biotech": "精准医疗",
    "unmanned": "智能无人系统",
    "nev": "新能源汽车",
    "fintech": "金融科技",
    "additive_laser": "增材制造",
}
CARRIERS = ["工程实验室", "重点实验室", "工程技术研究中心", "企业技术中心"]
COMPANY_A = ["华创", "鹏程", "前海", "南山", "粤海", "光明", "坪山", "中科", "天鹰", "星河", "海云", "速腾", "易联", "瑞丰", "宏达", "新宙"]
COMPANY_B = ["通信", "智能", "新材料", "生物", "电子", "科技", "激光", "动力", "信息", "精密"]
UNIVERSITIES = ["深圳大学", "南方科技大学", "哈尔滨工业大学（深圳）", "清华大学深圳国际研究生院", "北京大学深圳研究生院", "香港中文大学（深圳）"]
INSTITUTES = ["中国科学院深圳先进技术研究院", "深圳清华大学研究院", "深圳市计量质量检测研究院", "深圳华大生命科学研究院", "深圳市标准技术研究院", "深圳市环境科学研究院"]
HOSPITALS = ["深圳市人民医院", "北京大学深圳医院", "深圳市第二人民医院", "香港大学深圳医院", "中山大学附属第七医院", "深圳市儿童医院"]
OTHERS = ["深圳市物联网产业协会", "深圳市机器人协会", "深圳市新能源汽车产业协会", "深圳市金融科技协会"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "勇", "军", "杰", "涛", "明", "超", "华", "建国", "晓东", "志强", "海燕", "文博"]
MILESTONE_TEXT = [
    "完成总体方案设计与论证",
    "完成关键技术攻关",
    "完成样机研制与测试",
    "完成中试验证",
    "完成示范应用",
    "完成产业化与结题验收",
]
REPORT_TEXT = ["项目按计划推进", "关键技术取得阶段性进展", "部分节点有所延误", "资金按计划使用", "正在开展测试验证", ""]
COMMENTS = ["进展良好", "建议加快进度", "资金使用规范", "绩效目标完成较好", "需加强自筹资金到位", ""]
KPI_RANGE = {
    "patent_applications": (5, 40),
    "patents_granted": (2, 20),
    "standards": (1, 5),
    "papers": (3, 30),
    "prototypes": (1, 10),
    "software_copyrights": (2, 15),
    "talent": (5, 50),
    "services": (20, 300),
    "revenue": (1_000, 50_000),
    "tax": (100, 3_000),
    "jobs": (10, 300),
    "investment_attracted": (1_000, 20_000),
}
PLAN_ABBR = {"core_tech": "CT", "demonstration": "DM", "industrialization": "IN", "innovation_carrier": "IC", "service_platform": "SP", "chain_fusion": "CF"}
# approved funding range (万元) per plan, before the bundle's budget scaling
FUNDING = {
    "core_tech": (600, 3000),
    "demonstration": (500, 2500),
    "industrialization": (800, 4000),
    "innovation_carrier": (500, 3000),
    "service_platform": (300, 1500),
    "chain_fusion": (3000, 8000),
}
# disbursement tranches per funding stage: (fraction, offset kind, days)
# offset kind 0 = after start, 1 = after end
TRANCHES = {
    "ex_ante": [(0.4, 0, 40), (0.3, 0, 380), (0.2, 0, 745), (0.1, 1, 60)],
    "in_process": [(0.25, 0, 100), (0.25, 0, 460), (0.25, 0, 830), (0.25, 1, 60)],
    "ex_post": [(1.0, 1, 90), (0.0, 1, 90), (0.0, 1, 90), (0.0, 1, 90)],
}


# ================================================================ project sampling
def _pick(rng: np.random.Generator, n: int, options: list, probs: list) -> np.ndarray:
    return np.asarray(options)[rng.choice(len(options), size=n, p=np.asarray(probs) / sum(probs))]


def _sample_projects(
    rng: np.random.Generator,
    n: int,
    year: np.ndarray | None = None,
    plan: np.ndarray | None = None,
    arch: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-project attributes and behaviour parameters as numpy arrays (codes as indices)."""
    P: dict[str, np.ndarray] = {}
    P["year"] = year if year is not None else rng.choice(np.array(YEARS), size=n)
    if plan is None:
        w = np.array([BUNDLE_PLAN_COUNTS[p] for p in PLAN_CODES], dtype=float)
        plan = rng.choice(len(PLAN_CODES), size=n, p=w / w.sum())
    P["plan"] = plan
    P["field"] = rng.integers(0, len(FIELD_CODES), n)
    arch = arch if arch is not None else rng.choice(len(ARCH), size=n, p=ARCH_WEIGHTS)
    P["arch"] = arch

    pc = np.asarray(PLAN_CODES, dtype=object)[plan]
    u = rng.random(n)
    # usual department of the plan (PROGRAM.md): drc=0, eitc=1, stic=2
    dept = np.select(
        [pc == "core_tech", pc == "demonstration", pc == "innovation_carrier", pc == "chain_fusion"],
        [2, 1, np.where(u < 0.5, 2, 0), (u * 3).astype(int)],
        default=0,
    )
    P["dept"] = dept
    u = rng.random(n)
    # undertaker type: enterprise=0 university=1 institute=2 hospital=3 other=4
    ent_share = np.select([pc == "industrialization", pc == "demonstration", pc == "core_tech", pc == "innovation_carrier"], [0.95, 0.85, 0.55, 0.35], 0.6)
    utype = np.where(u < ent_share, 0, np.where(u < ent_share + (1 - ent_share) * 0.45, 1, np.where(u < ent_share + (1 - ent_share) * 0.85, 2, 3)))
    utype = np.where((utype == 3) & (FIELD_CODES.index("biotech") != P["field"]) & (rng.random(n) < 0.6), 4, utype)
    P["utype"] = utype
    u = rng.random(n)
    # selection: tender=0 bounty=1 directed=2 merit=3 application=4
    P["sel"] = np.select(
        [pc == "core_tech", pc == "innovation_carrier", pc == "chain_fusion"],
        [np.where(u < 0.6, 0, 1), np.where(u < 0.3, 1, 4), np.where(u < 0.4, 2, np.where(u < 0.7, 3, 0))],
        default=4,
    )
    u = rng.random(n)
    P["support"] = np.where(u < 0.8, 0, np.where(u < 0.9, 1, 2))
    u = rng.random(n)
    stage = np.where(u < 0.7, 0, np.where(u < 0.9, 1, 2))
    # archetypes whose signal needs money paid during the project are always ex ante
    plain = np.isin(arch, [A["good"], A["fair"]])
    P["stage"] = np.where(plain, stage, 0)

    P["start"] = np.array([_d(f"{y}-03-01") for y in P["year"]], dtype=np.int64) + rng.integers(0, 245, n)
    u = rng.random(n)
    months = np.where(u < 0.15, rng.integers(18, 25, n), np.where(u < 0.65, rng.integers(24, 37, n), rng.integers(36, 49, n)))
    P["end"] = P["start"] + np.round(months * 30.44).astype(np.int64) - 1

    lo = np.array([FUNDING[p][0] for p in PLAN_CODES], dtype=float)[plan]
    hi = np.array([FUNDING[p][1] for p in PLAN_CODES], dtype=float)[plan]
    P["approved"] = np.round((lo + rng.random(n) * (hi - lo)) / 10) * 10
    u = rng.random(n)
    ratio = np.select(
        [utype == 0, (utype == 1) | (utype == 2), utype == 3],
        [1 + 2 * u, np.where(u < 0.5, 0.0, 0.1 + 0.4 * u), 0.2 + 0.3 * u],
        default=0.3 + 0.7 * u,
    )
    P["self"] = np.round(P["approved"] * ratio / 10) * 10

    # behaviour parameters from the archetype
    tab = lambda i: np.array([a[i] for a in ARCH])  # noqa: E731
    dl = np.array([a[1] for a in ARCH], dtype=float)
    ex = np.array([a[2] for a in ARCH], dtype=float)
    sf = np.array([a[3] for a in ARCH], dtype=float)
    kp = np.array([a[4] for a in ARCH], dtype=float)
    P["delay_mu"], P["delay_sd"] = dl[arch, 0], dl[arch, 1]
    P["exec"] = ex[arch, 0] + rng.random(n) * (ex[arch, 1] - ex[arch, 0])
    P["self_rate"] = sf[arch, 0] + rng.random(n) * (sf[arch, 1] - sf[arch, 0])
    P["kpi_k"] = kp[arch, 0] + rng.random(n) * (kp[arch, 1] - kp[arch, 0])
    P["exp_mu"] = tab(5).astype(float)[arch] + rng.normal(0, 1.5, n)
    P["risk"] = tab(6)[arch]
    P["rounding"] = np.array([{"ceil": 0, "round": 1, "floor": 2}[a[7]] for a in ARCH])[arch]
    dur = P["end"] - P["start"]
    P["stall"] = np.select(
        [arch == A["stalled"], arch == A["declining"]],
        [P["start"] + (0.2 * dur).astype(np.int64), np.full(n, _d("2019-03-01"))],
        default=NONE_DAY,
    )
    P["veto_year"] = np.where(arch == A["fraud"], np.maximum(P["year"], 2018) + (rng.random(n) < 0.5), 0)
    P["veto_year"] = np.where(P["veto_year"] > 2019, 2019, P["veto_year"])
    P["reports"] = ~np.isin(arch, [A["silent"], A["no_data"]])
    P["contract"] = arch != A["no_data"]
    P["district"] = rng.random(n) < 0.3
    # text parts
    for key, size in (("tech", 6), ("prod", 6), ("carrier", 4), ("ca", len(COMPANY_A)), ("cb", len(COMPANY_B)), ("inst", 6), ("other", len(OTHERS)), ("sn", len(SURNAMES)), ("gn", len(GIVEN))):
        P[key] = rng.integers(0, size, n)
    P["has_manager"] = rng.random(n) < 0.9
    return P


def _project_texts(P: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project name, undertaker and manager as object arrays (vectorised look-ups)."""
    obj = lambda xs: np.asarray(xs, dtype=object)  # noqa: E731
    f = P["field"]
    techs = obj([t for fc in FIELD_CODES for t in TECHS[fc]])[f * 6 + P["tech"]]
    prods = obj([t for fc in FIELD_CODES for t in PRODUCTS[fc]])[f * 6 + P["prod"]]
    areas = obj([AREAS[fc] for fc in FIELD_CODES])[f]
    plan = P["plan"]
    pc = obj(PLAN_CODES)[plan]
    name = np.select(
        [pc == "core_tech", pc == "demonstration", pc == "industrialization", pc == "innovation_carrier", pc == "service_platform"],
        [
            techs + prods + "关键技术研发",
            techs + prods + "应用示范",
            techs + prods + "产业化",
            "深圳市" + areas + obj(CARRIERS)[P["carrier"]],
            "深圳市" + areas + "公共技术服务平台",
        ],
        default=areas + "“创新链+产业链”融合项目",
    )
    ut = P["utype"]
    company = "深圳市" + obj(COMPANY_A)[P["ca"]] + obj(COMPANY_B)[P["cb"]] + np.where(P["ca"] % 3 == 0, "股份有限公司", "有限公司")
    undertaker = np.select(
        [ut == 0, ut == 1, ut == 2, ut == 3],
        [company, obj(UNIVERSITIES)[P["inst"]], obj(INSTITUTES)[P["inst"]], obj(HOSPITALS)[P["inst"]]],
        default=obj(OTHERS)[P["other"]],
    )
    manager = np.where(P["has_manager"], obj(SURNAMES)[P["sn"]] + obj(GIVEN)[P["gn"]], None)
    return name, undertaker, manager


# ================================================================ simulation (vectorised)
def _quarter_of(days: np.ndarray) -> np.ndarray:
    """Absolute quarter index year*4 + (q-1) of each day number."""
    months = (days.astype("datetime64[D]")).astype("datetime64[M]").astype(np.int64)  # since 1970-01
    return 1970 * 4 + months // 3


def _quarter_end(qa: np.ndarray) -> np.ndarray:
    months = (qa - 1970 * 4) * 3 + 3
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1


def _within(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner index, 0-based position) for rows repeated `counts` times per owner."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(days.astype(np.int32)).cast(pl.Date)
    if valid is not None:
        s = pl.select(pl.when(pl.Series(valid)).then(s)).to_series()
    return s


def _periods(qa: np.ndarray) -> pl.Series:
    labels = pl.Series([f"{y}Q{q}" for y in range(2015, 2031) for q in range(1, 5)])
    return labels.gather((qa - 2015 * 4).astype(np.int64))


def _tranches(P: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Disbursement tranche fractions and dates (n x NT) from the funding stage."""
    n = len(P["start"])
    frac = np.zeros((n, NT))
    date = np.zeros((n, NT), dtype=np.int64)
    for s, stage in enumerate(STAGE_CODES):
        m = P["stage"] == s
        for j, (fr, kind, days) in enumerate(TRANCHES[stage]):
            frac[m, j] = fr
            date[m, j] = (P["end"][m] if kind else P["start"][m]) + days
    return frac, date


def _simulate(rng: np.random.Generator, P: dict[str, np.ndarray], pid: pl.Series) -> dict[str, pl.DataFrame]:
    """Every dataset's rows for the projects in P (canonical columns, typed values)."""
    n = len(pid)
    start, end, dur = P["start"], P["end"], P["end"] - P["start"]
    name, undertaker, manager = _project_texts(P)
    out: dict[str, pl.DataFrame] = {}
    out["projects"] = pl.DataFrame(
        {
            "project_id": pid,
            "project_name": pl.Series(name.tolist(), dtype=pl.String),
            "field": pl.Series(FIELD_CODES).gather(P["field"]),
            "plan": pl.Series(PLAN_CODES).gather(P["plan"]),
            "department": pl.Series(DEPT_CODES).gather(P["dept"]),
            "undertaker": pl.Series(undertaker.tolist(), dtype=pl.String),
            "undertaker_type": pl.Series(UTYPE_CODES).gather(P["utype"]),
            "selection_method": pl.Series(SEL_CODES).gather(P["sel"]),
            "support_mode": pl.Series(SUPPORT_CODES).gather(P["support"]),
            "funding_stage": pl.Series(STAGE_CODES).gather(P["stage"]),
            "approval_year": pl.Series(P["year"].astype(np.int32)),
            "start_date": _dates(start),
            "end_date": _dates(end),
            "approved_funding_wan": P["approved"],
            "self_funding_wan": P["self"],
            "project_manager": pl.Series(manager.tolist(), dtype=pl.String),
        }
    )

    # ---- milestones: 4-6 per contract, evenly planned, the last on the end date
    m = np.where(P["contract"], rng.integers(4, 7, n), 0)
    o, k0 = _within(m)
    k = k0 + 1
    planned = start[o] + np.round(k / m[o] * dur[o]).astype(np.int64) - np.where(k == m[o], 1, 0)
    pct = rng.random(n) < 0.4
    weight = rng.integers(1, 4, len(o)) * np.where(pct[o], 10, 1)
    completed = planned + np.round(rng.normal(P["delay_mu"][o], P["delay_sd"][o])).astype(np.int64)
    completed = np.maximum(completed, start[o] + 15)
    done = (completed <= np.minimum(SNAPSHOT, P["stall"][o])) & P["reports"][o]
    text_idx = np.round(k0 / np.maximum(m[o] - 1, 1) * (len(MILESTONE_TEXT) - 1)).astype(np.int64)
    out["milestones"] = pl.DataFrame(
        {
            "project_id": pid.gather(o),
            "milestone_no": pl.Series(k.astype(np.int32)),
            "description": pl.Series(MILESTONE_TEXT).gather(text_idx),
            "planned_date": _dates(planned),
            "weight": weight.astype(float),
            "completed_date": _dates(completed, done),
        }
    )

    # ---- disbursements: tranches by funding stage; 30 % get part of the first from the district
    frac, tdate = _tranches(P)
    rows = []
    for j in range(NT):
        share = np.where(P["district"] & (j == 0), 0.65, 1.0)
        keep = (frac[:, j] > 0) & (tdate[:, j] <= LAST_DAY)
        idx = np.nonzero(keep)[0]
        rows.append((idx, np.full(len(idx), j), tdate[idx, j], P["approved"][idx] * frac[idx, j] * share[idx], np.zeros(len(idx), int)))
        if j == 0:
            dk = keep & P["district"] & (tdate[:, 0] + 21 <= LAST_DAY)
            idx = np.nonzero(dk)[0]
            rows.append((idx, np.full(len(idx), NT), tdate[idx, 0] + 21, P["approved"][idx] * frac[idx, 0] * 0.35, np.ones(len(idx), int)))
    po = np.concatenate([r[0] for r in rows])
    pj = np.concatenate([r[1] for r in rows])
    pdate = np.concatenate([r[2] for r in rows])
    pamt = np.round(np.concatenate([r[3] for r in rows]), 1)
    psrc = np.concatenate([r[4] for r in rows])
    order = np.lexsort((pj, pdate, po))
    po, pj, pdate, pamt, psrc = po[order], pj[order], pdate[order], pamt[order], psrc[order]
    out["disbursements"] = pl.DataFrame(
        {
            "payment_id": ("BK" + pl.Series(P["seq"][po]).cast(pl.String).str.zfill(7) + pl.Series(pj).cast(pl.String)),
            "project_id": pid.gather(po),
            "payment_date": _dates(pdate),
            "amount_wan": pamt,
            "kind": pl.Series(["disbursement"] * len(po), dtype=pl.String),
            "source": pl.Series(["city", "district"]).gather(psrc),
        }
    )

    # ---- progress reports: every quarter from the start quarter to min(end, 2019Q4); cumulative
    qs = _quarter_of(start)
    qn = np.where(P["reports"], np.minimum(_quarter_of(end), LAST_QA) - qs + 1, 0)
    o, q0 = _within(qn)
    qa = qs[o] + q0
    qend = _quarter_end(qa)
    t_eff = np.minimum(qend, P["stall"][o])
    paid = np.zeros(len(o))
    for j in range(NT):
        paid += P["approved"][o] * frac[o, j] * (tdate[o, j] <= t_eff)
    fiscal = np.round(P["exec"][o] * paid, 2)
    f = np.clip((t_eff - start[o]) / dur[o], 0, 1)
    self_arr = np.round(np.minimum(P["self"][o] * f * P["self_rate"][o], P["self"][o]), 2)
    total = np.round(fiscal + 0.9 * self_arr, 2)
    risk = np.minimum(P["risk"][o] + (rng.random(len(o)) < 0.1), 2)
    out["progress_reports"] = pl.DataFrame(
        {
            "project_id": pid.gather(o),
            "period": _periods(qa),
            "submitted_date": _dates(qend + rng.integers(5, 26, len(o))),
            "fiscal_spent_wan": fiscal,
            "self_arrived_wan": self_arr,
            "total_spent_wan": total,
            "risk_level": pl.Series(RISK_CODES).gather(risk),
            "summary": pl.Series(REPORT_TEXT).gather(rng.integers(0, len(REPORT_TEXT), len(o))),
        }
    )

    # ---- KPI targets: 3-5 output and 1-3 outcome indicators per contract
    parts = []
    for pool, lo, hi in ((OUTPUT_IND, 3, 6), (OUTCOME_IND, 1, 4)):
        cnt = np.where(P["contract"], rng.integers(lo, hi, n), 0)
        pos = np.argsort(np.argsort(rng.random((n, len(pool))), axis=1), axis=1)
        tp, ti = np.nonzero(pos < cnt[:, None])
        parts.append((tp, np.array([IND_CODES.index(x) for x in pool])[ti]))
    tp = np.concatenate([p[0] for p in parts])
    ti = np.concatenate([p[1] for p in parts])
    order = np.lexsort((ti, tp))
    tp, ti = tp[order], ti[order]
    lo = np.array([KPI_RANGE[i][0] for i in IND_CODES])[ti]
    hi = np.array([KPI_RANGE[i][1] for i in IND_CODES])[ti]
    money = np.isin(ti, [IND_CODES.index(i) for i in MONEY_IND])
    tval = lo + np.floor(rng.random(len(tp)) * (hi - lo + 1))
    tval = np.where(money, np.round(tval / 10) * 10, tval).astype(float)
    u = rng.random(len(tp))
    due = np.where(u < 0.9, end[tp], start[tp] + dur[tp] // 2)
    due_given = u >= 0.75
    out["kpi_targets"] = pl.DataFrame(
        {
            "project_id": pid.gather(tp),
            "indicator": pl.Series(IND_CODES).gather(ti),
            "target_value": tval,
            "due_date": _dates(due, due_given),
        }
    )

    # ---- KPI actuals: cumulative, every reported quarter, for each target
    kfac = P["kpi_k"][tp] * (0.92 + 0.16 * rng.random(len(tp)))
    ao, a0 = _within(qn[tp])  # ao indexes target rows
    ap = tp[ao]
    aqa = qs[ap] + a0
    at = np.minimum(_quarter_end(aqa), P["stall"][ap])
    fi = np.clip((at - start[ap]) / np.maximum(due[ao] - start[ap], 1), 0, 1)
    x = tval[ao] * fi * kfac[ao]
    rnd = P["rounding"][ap]
    cnt_val = np.where(rnd == 0, np.ceil(x - 1e-9), np.where(rnd == 1, np.round(x), np.floor(x)))
    val = np.where(money[ao], np.round(x, 1), cnt_val)
    out["kpi_actuals"] = pl.DataFrame(
        {
            "project_id": pid.gather(ap),
            "period": _periods(aqa),
            "indicator": pl.Series(IND_CODES).gather(ti[ao]),
            "value": np.maximum(val, 0.0),
        }
    )

    # ---- expert reviews: 3-7 experts per review year the project is under review
    rev = np.stack([(start <= _d(f"{y}-12-31")) & (end >= _d(f"{y}-01-01")) for y in REVIEW_YEARS], axis=1)
    ecnt = np.where(rev, rng.integers(3, 8, (n, len(REVIEW_YEARS))), 0).ravel()
    eo, e0 = _within(ecnt)  # eo = project*3 + year index
    ep, ey = eo // len(REVIEW_YEARS), np.array(REVIEW_YEARS)[eo % len(REVIEW_YEARS)]
    mu = P["exp_mu"][ep] - np.where((P["arch"][ep] == A["declining"]) & (ey == 2019), 18, 0)
    score = np.clip(np.round(rng.normal(mu, 4.0)), 0, 100)
    veto = (P["veto_year"][ep] == ey) & (e0 == 0)
    score = np.where(veto, 45.0, score)
    base = np.repeat(rng.integers(0, 997, len(ecnt)), ecnt)
    eid = (base + e0 * 37) % 997 + 1
    comment = pl.Series(COMMENTS).gather(rng.integers(0, len(COMMENTS), len(eo)))
    comment = pl.select(pl.when(pl.Series(veto)).then(pl.lit("发现弄虚作假，一票否决")).otherwise(comment)).to_series()
    out["expert_reviews"] = pl.DataFrame(
        {
            "project_id": pid.gather(ep),
            "review_year": pl.Series(ey.astype(np.int32)),
            "expert_id": "E" + pl.Series(eid).cast(pl.String).str.zfill(4),
            "score": score,
            "veto": pl.Series(veto),
            "comment": comment,
        }
    )
    return out


def _archetype_decisions(rng: np.random.Generator, P: dict[str, np.ndarray], pid: pl.Series) -> pl.DataFrame:
    """Clean mode: recorded decisions for 2017 and 2018 for about half the reviewed projects,
    the recommendation each archetype is built to earn."""
    per_arch = {
        "excellent": "rolling_support", "good": "rolling_support", "fair": "rectify", "poor": "terminate",
        "stalled": "rectify", "overspend": "suspend_funding", "fraud": "rectify", "silent": "terminate",
        "no_data": "rectify", "low_execution": "rectify", "self_funds_gap": "rectify", "declining": "rolling_support",
    }
    dec = np.array([per_arch[a] for a in ARCH_NAMES], dtype=object)[P["arch"]]
    frames = []
    for y in (2017, 2018):
        a_day = _d(f"{y}-12-31")
        reviewed = (P["start"] <= a_day) & (P["end"] >= _d(f"{y}-01-01"))
        pick = np.nonzero(reviewed & (rng.random(len(pid)) < 0.5))[0]
        d = np.where(P["end"][pick] <= a_day, "acceptance_review", dec[pick])
        d = np.where(P["veto_year"][pick] == y, "terminate", d)
        frames.append(
            pl.DataFrame(
                {
                    "project_id": pid.gather(pick),
                    "review_year": pl.Series(np.full(len(pick), y, dtype=np.int32)),
                    "decision": pl.Series(d.tolist(), dtype=pl.String),
                    "decided_date": _dates(np.full(len(pick), _d(f"{y + 1}-03-10")) + rng.integers(0, 30, len(pick))),
                }
            )
        )
    return pl.concat(frames)


# ================================================================ clean / scale mode
def _clean_chunk(seed: int, chunk: int, seq0: int, n: int) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng([seed, chunk])
    P = _sample_projects(rng, n)
    P["seq"] = np.arange(seq0, seq0 + n)
    pid = "SZ" + pl.Series(P["year"]).cast(pl.String) + "-" + pl.Series(P["seq"]).cast(pl.String).str.zfill(7)
    out = _simulate(rng, P, pid)
    out["review_decisions"] = _archetype_decisions(rng, P, pid)
    return out


def _generate_clean(out_dir: Path, projects: int, seed: int, fmt: str) -> dict:
    """Stream chunks of CHUNK projects into one file per dataset (CSV or Parquet)."""
    ext = {"csv": "csv", "parquet": "parquet"}[fmt]
    paths = {name: out_dir / f"{name}.{ext}" for name in DATASET_NAMES}
    rows = {name: 0 for name in DATASET_NAMES}
    plan_counts = {p: 0 for p in PLAN_CODES}
    year_counts = {str(y): 0 for y in YEARS}
    net = {}
    writers: dict = {}
    handles: dict = {}
    try:
        for chunk, seq0 in enumerate(range(0, projects, CHUNK)):
            n = min(CHUNK, projects - seq0)
            frames = _clean_chunk(seed, chunk, seq0 + 1, n)
            for name in DATASET_NAMES:
                df = frames[name]
                rows[name] += df.height
                if fmt == "csv":
                    if name not in handles:
                        handles[name] = open(paths[name], "wb")
                    df.write_csv(handles[name], include_header=chunk == 0, float_precision=None)
                else:
                    import pyarrow.parquet as pq

                    table = df.to_arrow()
                    if name not in writers:
                        writers[name] = pq.ParquetWriter(paths[name], table.schema, compression="zstd")
                    writers[name].write_table(table)
            for p, c in frames["projects"].group_by("plan").len().iter_rows():
                plan_counts[p] += c
            for y, c in frames["projects"].group_by("approval_year").len().iter_rows():
                year_counts[str(y)] += c
            _add_net(net, frames["disbursements"])
    finally:
        for h in handles.values():
            h.close()
        for w in writers.values():
            w.close()
    datasets = {
        name: {"files": {paths[name].name: rows[name]}, "rows": rows[name], "clean": rows[name], "quarantined": 0, "quarantine": []}
        for name in DATASET_NAMES
    }
    return _summary(projects, seed, fmt, False, datasets, plan_counts, year_counts, net)


def _add_net(net: dict, disb: pl.DataFrame) -> None:
    """Accumulate net disbursement (disbursements - recoveries) per calendar year."""
    g = (
        disb.with_columns(
            pl.col("payment_date").dt.year().alias("y"),
            pl.when(pl.col("kind") == "recovery").then(-pl.col("amount_wan")).otherwise(pl.col("amount_wan")).alias("s"),
        )
        .group_by("y")
        .agg(pl.col("s").sum())
    )
    for y, s in g.iter_rows():
        net[str(y)] = net.get(str(y), 0.0) + s


def _summary(projects, seed, fmt, messy, datasets, plan_counts, year_counts, net, extra=None) -> dict:
    out = {
        "generator": {"projects": projects, "seed": seed, "format": fmt, "messy": messy},
        "datasets": datasets,
        "program": {
            "projects_per_plan": dict(sorted(plan_counts.items())),
            "projects_per_approval_year": year_counts,
            "net_disbursement_per_year_wan": {y: round(v, 1) for y, v in sorted(net.items())},
        },
    }
    if extra:
        out.update(extra)
    return out


def generate(out_dir: Path, projects: int = 450, seed: int = 2017, fmt: str = "csv", messy: bool = False) -> dict:
    """Write the DATA.md dataset family into ``out_dir`` and return the summary.

    Deterministic for a given (projects, seed, fmt, messy). ``messy=True`` writes the bundled
    sample's mixed formats (``fmt`` is then ignored); otherwise one ``fmt`` file ("csv" or
    "parquet") per dataset, streamed in chunks.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    if projects < 1:
        raise ValueError("projects must be at least 1")
    if messy:
        return _generate_messy(out_dir, projects, seed)
    return _generate_clean(out_dir, projects, seed, fmt)


# ================================================================ expected review outcomes (oracle)
# An independent, plain-Python reading of SCORING.md v1, used only by the bundle: to choose the
# recorded review decisions (mostly the recommendation, a few overrides) and to report the
# outcomes the bundle is built to produce. The platform's SQL is the real implementation.
def _days(col: pl.Series) -> list:
    return [None if v is None else (v - dt.date(1970, 1, 1)).days for v in col.to_list()]


def _index(frames: dict[str, pl.DataFrame]) -> dict:
    ix: dict = {"proj": {}, "ms": {}, "pay": {}, "prog": {}, "tgt": {}, "act": {}, "exp": {}}
    p = frames["projects"]
    for pid, s, e, sf in zip(p["project_id"], _days(p["start_date"]), _days(p["end_date"]), p["self_funding_wan"]):
        ix["proj"][pid] = (s, e, sf)
    m = frames["milestones"]
    for pid, pl_, w, c in zip(m["project_id"], _days(m["planned_date"]), m["weight"], _days(m["completed_date"])):
        ix["ms"].setdefault(pid, []).append((pl_, w, c))
    d = frames["disbursements"]
    for pid, day, amt, kind in zip(d["project_id"], _days(d["payment_date"]), d["amount_wan"], d["kind"]):
        ix["pay"].setdefault(pid, []).append((day, -amt if kind == "recovery" else amt, kind))
    r = frames["progress_reports"]
    for pid, per, fs, sa in zip(r["project_id"], r["period"], r["fiscal_spent_wan"], r["self_arrived_wan"]):
        ix["prog"].setdefault(pid, []).append((_period_end(per), int(per[:4]), fs, sa))
    t = frames["kpi_targets"]
    for pid, ind, tv, due in zip(t["project_id"], t["indicator"], t["target_value"], _days(t["due_date"])):
        ix["tgt"].setdefault(pid, []).append((ind, codes.INDICATORS[ind][2], tv, due))
    a = frames["kpi_actuals"]
    for pid, per, ind, v in zip(a["project_id"], a["period"], a["indicator"], a["value"]):
        ix["act"].setdefault((pid, ind), []).append((_period_end(per), v))
    x = frames["expert_reviews"]
    for pid, y, s, v in zip(x["project_id"], x["review_year"], x["score"], x["veto"]):
        ix["exp"].setdefault((pid, y), []).append((s, bool(v)))
    return ix


def _period_end(period: str) -> int:
    y, q = int(period[:4]), int(period[5])
    return int(_quarter_end(np.array([y * 4 + q - 1]))[0])


def _latest(series: list, a_day: int):
    best = None
    for row in series:
        if row[0] <= a_day and (best is None or row[0] > best[0]):
            best = row
    return best


def _q(value) -> Fraction:
    """An amount as the exact rational of the decimal digits it is written with (12.3 → 123/10)."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _oracle_rubric() -> dict:
    """The official rubric's numbers as exact rationals, so the oracle cannot disagree with the file."""
    from scorecard.rubric import load_rubric

    rubric = load_rubric()
    t = rubric.thresholds
    out = {k: _q(v) for k, v in t.model_dump().items() if k != "report_cutoff"}
    out.update({f"w_{leaf.code}": _q(leaf.points) for leaf in rubric.leaves})
    out.update({f"band_{g.lower()}": _q(m) for g, m in rubric.grade_bands.items()})
    out["cutoff"] = t.cutoff_month_day
    return out


def _score(ix: dict, pid: str, y: int, prev_rectify: bool, k: dict) -> dict:
    """An independent plain-Python reading of the rubric (docs/scoring.md), in exact rational
    arithmetic (fractions.Fraction): every rate, point and comparison is exact (§10)."""
    a_day = _d(f"{y}-12-31")
    start, end, self_f = ix["proj"][pid]
    self_f = _q(self_f)
    f = Fraction(min(max(a_day - start, 0), end - start), end - start)
    ms = ix["ms"].get(pid, [])
    due = [(p, _q(w), c) for p, w, c in ms if p <= a_day]
    done = lambda c: c is not None and c <= a_day  # noqa: E731
    spi = on_time = None
    if due:
        spi = sum((_q(w) for _, w, c in ms if done(c)), Fraction(0)) / sum(w for _, w, _ in due)
        on_time = Fraction(sum(1 for p, _, c in due if done(c) and c <= p + int(k["grace_days"])), len(due))
    pays = ix["pay"].get(pid, [])
    net = sum((_q(s) for day, s, _ in pays if day <= a_day), Fraction(0))
    rep = _latest(ix["prog"].get(pid, []), a_day)
    fiscal, self_arr = (_q(rep[2]), _q(rep[3])) if rep else (Fraction(0), Fraction(0))
    e_rate = None if net <= 0 else fiscal / net
    r_rate = None if self_f == 0 or f == 0 else self_arr / (self_f * f)
    ach: dict[str, list] = {"output": [], "outcome": []}
    for ind, kind, tv, tdue in ix["tgt"].get(pid, []):
        tdue = end if tdue is None else tdue
        if tdue <= start:
            fi = Fraction(1 if a_day >= tdue else 0)
        else:
            fi = Fraction(min(max(a_day - start, 0), tdue - start), tdue - start)
        x = _q(tv) * fi
        if x == 0:
            continue
        act = _latest(ix["act"].get((pid, ind), []), a_day)
        ach[kind].append(min((_q(act[1]) if act else Fraction(0)) / x, Fraction(1)))
    scores = ix["exp"].get((pid, y), [])
    vals = sorted(_q(s) for s, _ in scores)
    if len(vals) >= k["trim_min_experts"]:
        vals = vals[1:-1]
    expert = sum(vals, Fraction(0)) / len(vals) if vals else None
    veto = any(v for _, v in scores)
    out_a = sum(ach["output"], Fraction(0)) / len(ach["output"]) if ach["output"] else None
    oc_a = sum(ach["outcome"], Fraction(0)) / len(ach["outcome"]) if ach["outcome"] else None
    one = Fraction(1)
    leaves = [
        (spi, k["w_spi"], lambda v: min(v, one)),
        (on_time, k["w_on_time"], lambda v: v),
        (e_rate, k["w_fund_execution"], lambda v: min(v / k["exec_target"], one)),
        (r_rate, k["w_self_funding"], lambda v: min(v, one)),
        (out_a, k["w_output"], lambda v: v),
        (oc_a, k["w_outcome"], lambda v: v),
        (expert, k["w_expert"], lambda v: v / 100),
    ]
    applicable = sum((p for v, p, _ in leaves if v is not None), Fraction(0))
    earned = sum((p * fn(v) for v, p, fn in leaves if v is not None), Fraction(0))
    # half away from zero, exactly (totals are never negative)
    total = None if applicable == 0 else math.floor(100 * earned / applicable * 100 + Fraction(1, 2)) / Fraction(100)
    if veto:
        grade = "D"
    elif total is None or applicable < k["min_coverage"] * 100:
        grade = "insufficient"
    else:
        grade = "A" if total >= k["band_a"] else "B" if total >= k["band_b"] else "C" if total >= k["band_c"] else "D"
    flags = []
    overdue, window = int(k["stall_overdue_days"]), int(k["stall_window_days"])
    if ms and any(not done(c) and a_day - p > overdue for p, _, c in ms) and not any(
        c is not None and 0 <= a_day - c <= window - 1 for _, _, c in ms
    ):
        flags.append("stalled")
    firsts = [day for day, _, kind in pays if kind == "disbursement"]
    if e_rate is not None and e_rate < k["low_exec_rate"] and firsts and a_day - min(firsts) >= k["low_exec_days"]:
        flags.append("low_execution")
    if r_rate is not None and r_rate < k["self_gap_rate"]:
        flags.append("self_funds_gap")
    month, day = k["cutoff"]
    if not any(py == y for _, py, _, _ in ix["prog"].get(pid, [])) and start <= _d(f"{y}-{month:02d}-{day:02d}"):
        flags.append("missing_report")
    if fiscal > net + k["overspend_tolerance"]:
        flags.append("overspend")
    if veto:
        flags.append("veto")
    ended = end <= a_day
    if veto or (not ended and (grade == "D" or "stalled" in flags or (prev_rectify and grade in ("C", "D", "insufficient")))):
        rec = "terminate"
    elif ended:
        rec = "acceptance_review"
    elif "overspend" in flags:
        rec = "suspend_funding"
    elif grade in ("C", "insufficient") or flags:
        rec = "rectify"
    else:
        rec = "rolling_support"
    clawback = max(Fraction(0), net - fiscal) if rec == "terminate" else Fraction(0)
    return {
        "grade": grade,
        "flags": sorted(flags),
        "rec": rec,
        "total": None if total is None else float(total),
        "clawback": float(clawback),
    }


def _review(ix: dict, decisions: dict, years=REVIEW_YEARS) -> dict:
    """Scores per (year, project) following SCORING.md §1 (termination) and §6 (rectify rule)."""
    results: dict = {}
    terminated: set = set()
    k = _oracle_rubric()
    for y in years:
        a_day, jan1 = _d(f"{y}-12-31"), _d(f"{y}-01-01")
        res = {}
        for pid, (start, end, _) in ix["proj"].items():
            if start > a_day or end < jan1 or pid in terminated:
                continue
            prev = results.get(y - 1, {}).get(pid)
            prev_rec = decisions.get((pid, y - 1), prev["rec"] if prev else None) if prev else None
            res[pid] = _score(ix, pid, y, prev_rec == "rectify", k)
        for pid, r in res.items():
            if decisions.get((pid, y), r["rec"]) == "terminate":
                terminated.add(pid)
        results[y] = res
    return results


# ================================================================ bundled (messy) mode: the data
def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    w = np.asarray(weights, dtype=float)
    raw = w / w.sum() * total
    base = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - base), kind="stable")[: total - base.sum()]:
        base[i] += 1
    return base.tolist()


def _bundle_projects(rng: np.random.Generator, n: int) -> tuple[dict, pl.Series]:
    """Plans in the bundle's proportions, approval years evenly spread, archetypes stratified by
    approval year so every archetype appears in every cohort."""
    plan_n = _largest_remainder(n, [BUNDLE_PLAN_COUNTS[p] for p in PLAN_CODES])
    plan = np.repeat(np.arange(len(PLAN_CODES)), plan_n)
    year = np.empty(n, dtype=np.int64)
    for p in range(len(PLAN_CODES)):
        idx = np.nonzero(plan == p)[0]
        year[idx] = np.repeat(np.array(YEARS), _largest_remainder(len(idx), [1, 1, 1]))
    arch = np.empty(n, dtype=np.int64)
    for y in YEARS:
        idx = np.nonzero(year == y)[0]
        a = np.repeat(np.arange(len(ARCH)), _largest_remainder(len(idx), ARCH_WEIGHTS.tolist()))
        arch[idx] = rng.permutation(a)
    order = np.lexsort((plan, year))
    plan, year, arch = plan[order], year[order], arch[order]
    P = _sample_projects(rng, n, year=year, plan=plan, arch=arch)
    P["seq"] = np.arange(1, n + 1)
    ids, counter = [], {}
    for y, p in zip(year, plan):
        key = (y, p)
        counter[key] = counter.get(key, 0) + 1
        ids.append(f"SZ{y}-{PLAN_ABBR[PLAN_CODES[p]]}-{counter[key]:04d}")
    return P, pl.Series(ids, dtype=pl.String)


def _terminate(frames: dict[str, pl.DataFrame], pid: str, year: int, clawback: float, seq: int) -> None:
    """A project terminated after review `year` stops: no later reports, KPI values, expert
    reviews, completions or payments; unspent fiscal funds are recovered in April of year+1."""
    cut = dt.date(year, 12, 31)
    is_p = pl.col("project_id") == pid
    f = frames
    f["progress_reports"] = f["progress_reports"].filter(~(is_p & (pl.col("period").str.slice(0, 4).cast(pl.Int32) > year)))
    f["kpi_actuals"] = f["kpi_actuals"].filter(~(is_p & (pl.col("period").str.slice(0, 4).cast(pl.Int32) > year)))
    f["expert_reviews"] = f["expert_reviews"].filter(~(is_p & (pl.col("review_year") > year)))
    f["milestones"] = f["milestones"].with_columns(
        pl.when(is_p & (pl.col("completed_date") > cut)).then(None).otherwise(pl.col("completed_date")).alias("completed_date")
    )
    f["disbursements"] = f["disbursements"].filter(~(is_p & (pl.col("payment_date") > cut)))
    if clawback >= 1 and year < YEARS[-1]:
        rec = pl.DataFrame(
            {
                "payment_id": [f"ZH{seq:07d}"],
                "project_id": [pid],
                "payment_date": [dt.date(year + 1, 4, 10 + seq % 15)],
                "amount_wan": [round(clawback, 1)],
                "kind": ["recovery"],
                "source": ["city"],
            }
        )
        f["disbursements"] = pl.concat([f["disbursements"], rec])


def _bundle_frames(n: int, seed: int) -> tuple[dict[str, pl.DataFrame], dict, dict]:
    """The bundle's clean content: simulate, review year by year (recording decisions and
    stopping terminated projects), then scale money so each year's net disbursement is near
    BUNDLE_BUDGET. Returns (frames, archetype per project, decisions)."""
    rng = np.random.default_rng([seed, 0])
    P, pid = _bundle_projects(rng, n)
    frames = _simulate(rng, P, pid)
    arch = dict(zip(pid.to_list(), (ARCH_NAMES[a] for a in P["arch"])))
    seq = dict(zip(pid.to_list(), P["seq"].tolist()))
    end = dict(zip(pid.to_list(), P["end"].tolist()))
    decisions: dict = {}
    drng = np.random.default_rng([seed, 1])
    for y in REVIEW_YEARS:
        res = _review(_index(frames), decisions, years=REVIEW_YEARS[: REVIEW_YEARS.index(y) + 1])[y]
        if y in (2017, 2018):
            overrides = _pick_overrides(res, arch, end, y)
            for p in sorted(res):
                if p in overrides:
                    decisions[(p, y)] = overrides[p]
                elif drng.random() < 0.6:
                    decisions[(p, y)] = res[p]["rec"]
        for p in sorted(res):
            if decisions.get((p, y), res[p]["rec"]) == "terminate":
                _terminate(frames, p, y, res[p]["clawback"], seq[p])
    frames["disbursements"] = frames["disbursements"].sort("project_id", "payment_date", "payment_id")
    _scale_budget(frames)
    dec_rows = sorted(decisions.items())
    frames["review_decisions"] = pl.DataFrame(
        {
            "project_id": [p for (p, _), _ in dec_rows],
            "review_year": pl.Series([y for (_, y), _ in dec_rows], dtype=pl.Int32),
            "decision": [d for _, d in dec_rows],
            "decided_date": [dt.date(y + 1, 3, 1) + dt.timedelta(days=seq[p] % 28) for (p, y), _ in dec_rows],
        }
    )
    return frames, arch, decisions


def _pick_overrides(res: dict, arch: dict, end: dict, y: int) -> dict:
    """A few recorded decisions that differ from the recommendation (SCORING.md §1, §6):
    2017: a project recommended for termination gets a second chance (rectify);
    2018: a 'declining' project that earned rolling support is told to rectify (it weakens in
    2019, so the rectify rule fires), and a project recommended to rectify is terminated."""
    out = {}
    active_next = lambda p: end[p] > _d(f"{y + 1}-12-31")  # noqa: E731
    if y == 2017:
        cands = [p for p in sorted(res) if res[p]["rec"] == "terminate" and arch[p] == "fair"]
        out.update({p: "rectify" for p in cands[:1]})
    else:
        cands = [p for p in sorted(res) if arch[p] == "declining" and res[p]["rec"] == "rolling_support" and active_next(p)]
        out.update({p: "rectify" for p in cands[:2]})
        cands = [p for p in sorted(res) if res[p]["rec"] == "rectify" and arch[p] == "fair" and active_next(p)]
        out.update({p: "terminate" for p in cands[:1]})
    return out


def _scale_budget(frames: dict[str, pl.DataFrame]) -> None:
    """Scale each approval cohort's money so the net disbursement of 2017, 2018 and 2019 comes
    out near BUNDLE_BUDGET (a triangular solve: cohort Y pays nothing before year Y)."""
    p = frames["projects"]
    cohort = dict(zip(p["project_id"], p["approval_year"]))
    d = frames["disbursements"].with_columns(
        pl.col("project_id").replace_strict(cohort, return_dtype=pl.Int32).alias("cohort"),
        pl.col("payment_date").dt.year().alias("y"),
        pl.when(pl.col("kind") == "recovery").then(-pl.col("amount_wan")).otherwise(pl.col("amount_wan")).alias("s"),
    )
    c = {(a, b): s for a, b, s in d.group_by("cohort", "y").agg(pl.col("s").sum()).iter_rows()}
    scale: dict[int, float] = {}
    for y in YEARS:
        before = sum(scale[k] * c.get((k, y), 0.0) for k in YEARS if k < y)
        scale[y] = (BUNDLE_BUDGET[y] - before) / c[(y, y)]
    factor = lambda df: pl.col("project_id").replace_strict(cohort, return_dtype=pl.Int32).replace_strict(scale, return_dtype=pl.Float64)  # noqa: E731
    f = frames
    f["projects"] = f["projects"].with_columns(
        ((pl.col("approved_funding_wan") * factor(None) / 10).round(0) * 10).alias("approved_funding_wan"),
        ((pl.col("self_funding_wan") * factor(None) / 10).round(0) * 10).alias("self_funding_wan"),
    )
    f["disbursements"] = f["disbursements"].with_columns((pl.col("amount_wan") * factor(None)).round(1).alias("amount_wan"))
    f["progress_reports"] = f["progress_reports"].with_columns(
        (pl.col(c) * factor(None)).round(2).alias(c) for c in ("fiscal_spent_wan", "self_arrived_wan", "total_spent_wan")
    )


# ================================================================ bundled (messy) mode: the files
def _zh_headers(dataset: str) -> dict[str, str]:
    from scorecard import contracts

    return {c.name: c.zh for c in contracts.DATASETS[dataset].columns}


LABELS = {
    "field": codes.FIELDS,
    "plan": codes.PLANS,
    "department": codes.DEPARTMENTS,
    "undertaker_type": codes.UNDERTAKER_TYPES,
    "selection_method": codes.SELECTION_METHODS,
    "support_mode": codes.SUPPORT_MODES,
    "funding_stage": codes.FUNDING_STAGES,
    "kind": codes.PAYMENT_KINDS,
    "source": codes.FUND_SOURCES,
}


def _num(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v == int(v) else repr(round(v, 2))
    return str(v)


def _iso(d: dt.date | None) -> str:
    return "" if d is None else d.isoformat()


def _slash(d: dt.date | None) -> str:
    return "" if d is None else f"{d.year}/{d.month:02d}/{d.day:02d}"


def _cn(d: dt.date | None) -> str:
    return "" if d is None else f"{d.year}年{d.month}月{d.day}日"


def _short_slash(d: dt.date | None) -> str:
    return "" if d is None else f"{d.year}/{d.month}/{d.day}"


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


class _Book:
    """Collects rows written per file and the quarantine list."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, int]] = {name: {} for name in DATASET_NAMES}
        self.bad: list[dict] = []

    def wrote(self, dataset: str, file: str, n: int) -> None:
        self.files[dataset][file] = n

    def quarantine(self, dataset: str, file: str, row: int, column: str, reason: str, note: str) -> None:
        self.bad.append({"dataset": dataset, "file": file, "row": row, "column": column, "reason": reason, "note": note})


def _records(df: pl.DataFrame) -> list[dict]:
    return df.to_dicts()


def _write_projects(out: Path, df: pl.DataFrame, book: _Book) -> None:
    cols = df.columns
    zh = _zh_headers("projects")
    by_year = {y: _records(df.filter(pl.col("approval_year") == y)) for y in YEARS}

    # 2017: government XLSX — merged title row, blank row, Chinese headers on row 3, labels, date cells
    import xlsxwriter

    name = "projects_2017.xlsx"
    wb = xlsxwriter.Workbook(str(out / name))
    wb.set_properties({"created": dt.datetime(2018, 1, 15, 9, 0, 0), "author": "深圳市科技创新委"})
    ws = wb.add_worksheet("项目台账")
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    header = [zh[c] for c in cols] + ["备注"]
    ws.merge_range(0, 0, 0, len(header) - 1, "深圳市十大重大科技产业专项项目台账（2017年度）", title)
    ws.write_row(2, 0, header, head)
    for i, r in enumerate(by_year[2017]):
        for j, c in enumerate(cols):
            v = r[c]
            if isinstance(v, dt.date):
                ws.write_datetime(3 + i, j, dt.datetime(v.year, v.month, v.day), datef)
            elif c in LABELS:
                ws.write_string(3 + i, j, LABELS[c][v][0])
            elif v is None:
                ws.write_blank(3 + i, j, None)
            else:
                ws.write(3 + i, j, v)
        if i % 17 == 5:
            ws.write_string(3 + i, len(cols), "已签订合同")
    ws.set_column(0, len(header) - 1, 16)
    wb.close()
    book.wrote("projects", name, len(by_year[2017]))

    # 2018: plain UTF-8, English headers, ISO dates; one extra project whose end is before its start
    name = "projects_2018.csv"
    rows = [[_iso(r[c]) if isinstance(r[c], dt.date) else _num(r[c]) for c in cols] for r in by_year[2018]]
    bad = dict(by_year[2018][0])
    bad.update(project_id="SZ2018-IN-9001", project_name="深圳市新能源汽车智能充电网络产业化（录入错误）", start_date=dt.date(2018, 9, 1), end_date=dt.date(2018, 3, 1))
    rows.append([_iso(bad[c]) if isinstance(bad[c], dt.date) else _num(bad[c]) for c in cols])
    book.quarantine("projects", name, len(rows) + 1, "end_date", "row_rule:end_after_start", "extra project SZ2018-IN-9001 (no dependent rows)")
    _write_csv(out / name, cols, rows)
    book.wrote("projects", name, len(rows))

    # 2019: GBK, Chinese headers, Chinese labels in every third row, 年月日 and d/m dates; a row re-entering a 2018 project
    name = "projects_2019.csv"
    rows = []
    for i, r in enumerate(by_year[2019]):
        row = []
        for c in cols:
            v = r[c]
            if isinstance(v, dt.date):
                row.append(_cn(v) if i % 2 == 0 else _short_slash(v))
            elif c in LABELS and i % 3 == 0:
                row.append(LABELS[c][v][0])
            else:
                row.append(_num(v))
        rows.append(row)
    dup = by_year[2018][1]
    at = len(rows) // 2
    rows.insert(at, [_short_slash(dup[c]) if isinstance(dup[c], dt.date) else _num(dup[c]) for c in cols])
    book.quarantine("projects", name, at + 2, "project_id", "duplicate_key", f"{dup['project_id']} already in projects_2018.csv")
    _write_csv(out / name, [zh[c] for c in cols], rows, encoding="gbk")
    book.wrote("projects", name, len(rows))


def _cells(r: dict, cols: list[str], date_fmt) -> list[str]:
    return [date_fmt(r[c]) if isinstance(r[c], dt.date) or (r[c] is None and c.endswith("date")) else _num(r[c]) for c in cols]


def _write_messy(out: Path, frames: dict[str, pl.DataFrame], book: _Book) -> None:
    _write_projects(out, frames["projects"], book)
    proj = _records(frames["projects"])

    # milestones: UTF-8, dates alternate ISO and YYYY/MM/DD; one row for an unknown project
    df = frames["milestones"]
    cols = df.columns
    rows = [_cells(r, cols, _iso if i % 2 == 0 else _slash) for i, r in enumerate(_records(df))]
    at = len(rows) * 2 // 3
    rows.insert(at, ["SZ2017-CT-0O12", "1", "完成总体方案设计与论证", "2018/03/31", "1", ""])
    book.quarantine("milestones", "milestones.csv", at + 2, "project_id", "unknown_project", "SZ2017-CT-0O12: letter O typed for zero")
    _write_csv(out / "milestones.csv", cols, rows)
    book.wrote("milestones", "milestones.csv", len(rows))

    # disbursements: city (GBK, Chinese headers and labels, thousands separators) and district (UTF-8 BOM)
    df = frames["disbursements"]
    cols = df.columns
    zh = _zh_headers("disbursements")
    city = _records(df.filter(pl.col("source") == "city"))
    rows = []
    for i, r in enumerate(city):
        row = []
        for c in cols:
            v = r[c]
            if c == "amount_wan" and v >= 1000 and i % 2 == 0:
                row.append(f"{v:,.1f}")
            elif c in LABELS:
                row.append(LABELS[c][v][0])
            elif isinstance(v, dt.date):
                row.append(_iso(v) if i % 3 else _short_slash(v))
            else:
                row.append(_num(v))
        rows.append(row)
    rows.append(["BK9999001", "SZ2016-IN-0007", "2018-06-30", "1,200.0", "拨付", "市级"])
    book.quarantine("disbursements", "disbursements_city.csv", len(rows) + 1, "project_id", "unknown_project", "SZ2016-IN-0007 is not in the ledger")
    rows.append(list(rows[10]))
    book.quarantine("disbursements", "disbursements_city.csv", len(rows) + 1, "payment_id", "duplicate_key", f"{rows[10][0]} repeats row 12")
    _write_csv(out / "disbursements_city.csv", [zh[c] for c in cols], rows, encoding="gbk")
    book.wrote("disbursements", "disbursements_city.csv", len(rows))
    district = _records(df.filter(pl.col("source") == "district"))
    rows = [_cells(r, cols, _iso) for r in district]
    victim = district[0]
    rows.insert(5, ["BK9999002", victim["project_id"], "2019-05-20", "-50.0", "disbursement", "district"])
    book.quarantine("disbursements", "disbursements_district.csv", 7, "amount_wan", "out_of_range", "negative amount -50.0")
    _write_csv(out / "disbursements_district.csv", cols, rows, encoding="utf-8-sig")
    book.wrote("disbursements", "disbursements_district.csv", len(rows))

    # progress reports: UTF-8 with BOM; one extra report (before the project's start) with total < fiscal.
    # Every 53rd report arrives late (45-65 days after its quarter): a soft (WARN) data-quality finding
    # that does not change any score, since the period, not the submission date, decides (SCORING.md §9).
    df = frames["progress_reports"].with_row_index("_i").with_columns(
        pl.when(pl.col("_i") % 53 == 7)
        .then(pl.col("submitted_date") + pl.duration(days=40))
        .otherwise(pl.col("submitted_date"))
        .alias("submitted_date")
    ).drop("_i")
    cols = df.columns
    recs = _records(df)
    rows = [_cells(r, cols, _iso) for r in recs]
    target = next(p for p in proj if p["start_date"].month >= 4 and p["project_id"] in set(df["project_id"].to_list()[:400]))
    q = (target["start_date"].month - 1) // 3  # quarter before the start quarter (1-based q)
    period = f"{target['start_date'].year}Q{q}"
    at = next(i for i, r in enumerate(recs) if r["project_id"] == target["project_id"])
    rows.insert(at, [target["project_id"], period, _iso(dt.date(target["start_date"].year, 3 * q + 1, 12)), "120.5", "0", "80", "low", "前期准备"])
    book.quarantine("progress_reports", "progress_reports.csv", at + 2, "total_spent_wan", "row_rule:total_covers_fiscal", f"{target['project_id']} {period}: total 80 < fiscal 120.5 (extra period)")
    _write_csv(out / "progress_reports.csv", cols, rows, encoding="utf-8-sig")
    book.wrote("progress_reports", "progress_reports.csv", len(rows))

    for name, fmt in (("kpi_targets", _iso), ("kpi_actuals", _iso)):
        df = frames[name]
        _write_csv(out / f"{name}.csv", df.columns, [_cells(r, df.columns, fmt) for r in _records(df)])
        book.wrote(name, f"{name}.csv", df.height)

    # expert reviews: two files; 2019 writes the veto as 是/否
    df = frames["expert_reviews"]
    for name, part, yes_no in (
        ("expert_reviews_2017-2018.csv", df.filter(pl.col("review_year") <= 2018), False),
        ("expert_reviews_2019.csv", df.filter(pl.col("review_year") == 2019), True),
    ):
        rows = [[("是" if r["veto"] else "否") if yes_no and c == "veto" else _num(r[c]) for c in df.columns] for r in _records(part)]
        _write_csv(out / name, df.columns, rows)
        book.wrote("expert_reviews", name, len(rows))

    df = frames["review_decisions"]
    _write_csv(out / "review_decisions.csv", df.columns, [_cells(r, df.columns, _slash) for r in _records(df)])
    book.wrote("review_decisions", "review_decisions.csv", df.height)


def _generate_messy(out_dir: Path, projects: int, seed: int) -> dict:
    frames, arch, decisions = _bundle_frames(projects, seed)
    for old in out_dir.iterdir():
        if old.is_file() and old.name.startswith(DATASET_NAMES):
            old.unlink()
    book = _Book()
    _write_messy(out_dir, frames, book)
    datasets = {}
    for name in DATASET_NAMES:
        bad = sorted((b for b in book.bad if b["dataset"] == name), key=lambda b: (b["file"], b["row"]))
        total = sum(book.files[name].values())
        datasets[name] = {"files": book.files[name], "rows": total, "clean": total - len(bad), "quarantined": len(bad), "quarantine": bad}
    p = frames["projects"]
    plan_counts = dict(p.group_by("plan").len().iter_rows())
    year_counts = {str(y): c for y, c in sorted(p.group_by("approval_year").len().iter_rows())}
    net: dict = {}
    _add_net(net, frames["disbursements"])
    res = _review(_index(frames), decisions)
    expected = {}
    for y, r in res.items():
        expected[str(y)] = {
            "reviewed": len(r),
            "grades": _count(v["grade"] for v in r.values()),
            "flags": _count(f for v in r.values() for f in v["flags"]),
            "recommendations": _count(v["rec"] for v in r.values()),
        }
    overrides = [
        {"project_id": p_, "review_year": y, "decision": d, "recommendation": res[y][p_]["rec"]}
        for (p_, y), d in sorted(decisions.items())
        if res[y][p_]["rec"] != d
    ]
    extra = {
        "archetypes": _count(arch.values()),
        "expected_reviews": expected,
        "decision_overrides": overrides,
        "targets_met": {
            plan: plan_counts.get(plan, 0) > thr
            for plan, thr in (("core_tech", 50), ("innovation_carrier", 100), ("demonstration", 50), ("chain_fusion", 10), ("industrialization", 200))
        },
    }
    return _summary(projects, seed, "messy", True, datasets, plan_counts, year_counts, net, extra)


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def write_summary(summary: dict, path: Path) -> None:
    """Pretty, sorted, deterministic JSON (data/bundle-summary.json)."""
    Path(path).write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
