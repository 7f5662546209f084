"""The programme model the generator draws from: dataset names, code lists, the bundle's plan
counts and budget, the calendar, the behaviour archetypes and the text vocabulary.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

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
PLAN_CODES = list(
    codes.PLANS
)  # core_tech, demonstration, industrialization, innovation_carrier, service_platform, chain_fusion
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

# Bundle plan counts (docs/programme.md targets: core_tech >50 met, carriers >100 missed, demonstration
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
    "additive_laser": [
        "金属3D打印装备",
        "激光切割装备",
        "光纤激光器",
        "激光焊接系统",
        "3D打印粉末材料",
        "激光微加工装备",
    ],
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
COMPANY_A = [
    "华创",
    "鹏程",
    "前海",
    "南山",
    "粤海",
    "光明",
    "坪山",
    "中科",
    "天鹰",
    "星河",
    "海云",
    "速腾",
    "易联",
    "瑞丰",
    "宏达",
    "新宙",
]
COMPANY_B = ["通信", "智能", "新材料", "生物", "电子", "科技", "激光", "动力", "信息", "精密"]
UNIVERSITIES = [
    "深圳大学",
    "南方科技大学",
    "哈尔滨工业大学（深圳）",
    "清华大学深圳国际研究生院",
    "北京大学深圳研究生院",
    "香港中文大学（深圳）",
]
INSTITUTES = [
    "中国科学院深圳先进技术研究院",
    "深圳清华大学研究院",
    "深圳市计量质量检测研究院",
    "深圳华大生命科学研究院",
    "深圳市标准技术研究院",
    "深圳市环境科学研究院",
]
HOSPITALS = [
    "深圳市人民医院",
    "北京大学深圳医院",
    "深圳市第二人民医院",
    "香港大学深圳医院",
    "中山大学附属第七医院",
    "深圳市儿童医院",
]
OTHERS = ["深圳市物联网产业协会", "深圳市机器人协会", "深圳市新能源汽车产业协会", "深圳市金融科技协会"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"]
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "强",
    "洋",
    "勇",
    "军",
    "杰",
    "涛",
    "明",
    "超",
    "华",
    "建国",
    "晓东",
    "志强",
    "海燕",
    "文博",
]
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
PLAN_ABBR = {
    "core_tech": "CT",
    "demonstration": "DM",
    "industrialization": "IN",
    "innovation_carrier": "IC",
    "service_platform": "SP",
    "chain_fusion": "CF",
}
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
