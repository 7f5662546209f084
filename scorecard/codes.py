"""The programme's code lists (docs/programme.md, docs/data-contract.md, docs/scoring.md), each code with its Chinese and
English label. Readers accept either the code or the Chinese label; dimensions and reports take the
labels from here."""

from __future__ import annotations

FIELDS: dict[str, tuple[str, str]] = {
    "5g": ("5G移动通信", "5G mobile communications"),
    "graphene": ("石墨烯", "Graphene"),
    "vr_ar": ("虚拟现实和增强现实", "Virtual and augmented reality"),
    "robotics": ("机器人与智能装备", "Robots and intelligent equipment"),
    "micro_nano": ("微纳米材料与器件", "Micro/nano materials and devices"),
    "biotech": ("生物技术与精准医疗", "Biotechnology and precision medicine"),
    "unmanned": ("智能无人系统", "Intelligent unmanned systems"),
    "nev": ("新能源汽车", "New-energy vehicles"),
    "fintech": ("金融科技", "Financial technology"),
    "additive_laser": ("增材制造和激光制造", "Additive and laser manufacturing"),
}

PLANS: dict[str, tuple[str, str]] = {
    "core_tech": ("核心关键技术攻关专项扶持计划", "Core key-technology breakthrough"),
    "demonstration": ("重大应用示范专项扶持计划", "Major application demonstration"),
    "industrialization": ("重大产业化专项扶持计划", "Major industrialization"),
    "innovation_carrier": ("创新载体类专项扶持计划", "Innovation carriers (labs, centres)"),
    "service_platform": ("公共技术服务平台专项扶持计划", "Public technical service platforms"),
    "chain_fusion": ("“创新链+产业链”融合专项扶持计划", "Innovation-chain + industry-chain fusion"),
}

DEPARTMENTS: dict[str, tuple[str, str]] = {
    "drc": ("市发展改革委", "Development and Reform Commission"),
    "eitc": ("市经贸信息委", "Economy, Trade and Information Commission"),
    "stic": ("市科技创新委", "Science, Technology and Innovation Commission"),
}
# `fin` pays but owns no projects: it is a department of the programme, not a valid project owner.
ALL_DEPARTMENTS: dict[str, tuple[str, str]] = {**DEPARTMENTS, "fin": ("市财政委", "Finance Commission")}

SELECTION_METHODS: dict[str, tuple[str, str]] = {
    "tender": ("招标", "Tender"),
    "bounty": ("悬赏", "Bounty"),
    "directed": ("定向委托", "Directed commission"),
    "merit": ("择优委托", "Merit-based commission"),
    "application": ("申报", "Application"),
}

SUPPORT_MODES: dict[str, tuple[str, str]] = {
    "grant": ("直接资助", "Direct grant"),
    "equity": ("股权投资", "Equity investment"),
    "loan_subsidy": ("贷款贴息", "Loan interest subsidy"),
}

FUNDING_STAGES: dict[str, tuple[str, str]] = {
    "ex_ante": ("事前资助", "Ex-ante funding"),
    "in_process": ("事中资助", "In-process funding"),
    "ex_post": ("事后资助", "Ex-post funding"),
}

UNDERTAKER_TYPES: dict[str, tuple[str, str]] = {
    "enterprise": ("企业", "Enterprise"),
    "university": ("高校", "University"),
    "institute": ("科研机构", "Research institute"),
    "hospital": ("医院", "Hospital"),
    "other": ("其他", "Other"),
}

PAYMENT_KINDS: dict[str, tuple[str, str]] = {
    "disbursement": ("拨付", "Disbursement"),
    "recovery": ("追回", "Recovery"),
}

FUND_SOURCES: dict[str, tuple[str, str]] = {
    "city": ("市级", "City"),
    "district": ("区级", "District"),
}

RISK_LEVELS: dict[str, tuple[str, str]] = {
    "low": ("低", "Low"),
    "medium": ("中", "Medium"),
    "high": ("高", "High"),
}

# indicator -> (zh, en, kind, unit)
INDICATORS: dict[str, tuple[str, str, str, str]] = {
    "patent_applications": ("专利申请", "Patent applications", "output", "件"),
    "patents_granted": ("专利授权", "Patents granted", "output", "件"),
    "standards": ("标准制定", "Standards", "output", "项"),
    "papers": ("论文", "Papers", "output", "篇"),
    "prototypes": ("样机/样品", "Prototypes", "output", "台套"),
    "software_copyrights": ("软件著作权", "Software copyrights", "output", "件"),
    "talent": ("人才培养引进", "Talent trained or recruited", "output", "人"),
    "services": ("服务企业次数", "Enterprise services", "output", "次"),
    "revenue": ("销售收入", "Sales revenue", "outcome", "万元"),
    "tax": ("纳税", "Tax paid", "outcome", "万元"),
    "jobs": ("新增就业", "New jobs", "outcome", "人"),
    "investment_attracted": ("带动社会投资", "Investment attracted", "outcome", "万元"),
}

RECOMMENDATIONS: dict[str, tuple[str, str]] = {
    "terminate": ("中止淘汰", "Terminate"),
    "acceptance_review": ("结题验收", "Completion acceptance review"),
    "suspend_funding": ("暂停拨款", "Suspend funding"),
    "rectify": ("限期整改", "Rectify within a deadline"),
    "rolling_support": ("滚动支持", "Rolling support"),
}

GRADES: dict[str, tuple[str, str]] = {
    "A": ("优", "Excellent"),
    "B": ("良", "Good"),
    "C": ("中", "Fair"),
    "D": ("差", "Poor"),
    "insufficient": ("数据不足", "Insufficient data"),
}

FLAGS: dict[str, tuple[str, str]] = {
    "low_execution": ("资金执行率低", "Low fund execution"),
    "missing_report": ("缺少进度报告", "Missing progress report"),
    "overspend": ("超支", "Overspend"),
    "self_funds_gap": ("自筹资金不到位", "Self-funding gap"),
    "stalled": ("进度停滞", "Stalled"),
    "veto": ("一票否决", "Veto (falsified data)"),
}

# Signals for follow-up (疑点线索, docs/analytics.md §2), in the order of that section.
SIGNALS: dict[str, tuple[str, str]] = {
    "year_end_rush": ("年底突击花钱", "Year-end spending rush"),
    "duplicate_evidence": ("一果多报", "One result claimed by several projects"),
    "copied_summary": ("进展报告雷同", "Progress summary copied between projects"),
    "expert_disagreement": ("专家意见分歧", "Split expert panel"),
    "paid_no_progress": ("拨款后无进展", "Paid, but no progress"),
    "undertaker_cluster": ("承担单位集中风险", "Undertaker with several problem projects"),
}
