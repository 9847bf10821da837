"""The demo county as plain data (the ground truth), calibrated to the source document.

build_world() makes units, rounds, inspections, problems, leads, assessments, team
rosters, checklist and meetings for one county; expected_metrics() measures them with
the definitions of DATA_CONTRACT section 6, independently of the pipeline. With the
default parameters the figures are exactly those of section 2.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

D = dt.date

TOWNSHIPS = ["清泉镇", "位奇镇", "霍城镇", "陈户镇", "东乐镇", "大马营镇", "老军乡", "李桥乡"]
DEPARTMENTS = [
    "县委办公室", "县人大常委会办公室", "县政府办公室", "县政协办公室", "县委组织部", "县委宣传部", "县委统战部",
    "县委政法委员会", "县委机构编制委员会办公室", "县发展和改革局", "县教育局", "县科学技术局", "县工业和信息化局",
    "县公安局", "县民政局", "县司法局", "县财政局", "县人力资源和社会保障局", "县自然资源局", "县住房和城乡建设局",
    "县交通运输局", "县水务局", "县农业农村局", "县商务局", "县文化体育广电和旅游局", "县卫生健康局",
    "县退役军人事务局", "县应急管理局", "县审计局", "县统计局", "县市场监督管理局", "县林业和草原局", "县医疗保障局",
    "县扶贫开发办公室", "县信访局", "县总工会", "团县委", "县妇女联合会", "县科学技术协会", "县供销合作社",
]
SOES = ["县城市建设投资有限公司", "县水务投资有限公司", "县国有资产经营有限公司", "县供热有限公司",
        "县公共交通有限公司", "县粮食储备有限公司"]
INSTITUTIONS = ["县人民医院", "县中医医院", "县疾病预防控制中心", "县妇幼保健院", "县第一中学", "县第二中学",
                "县职业技术教育中心", "县融媒体中心", "县城区社区服务中心", "县园林绿化服务中心", "县就业服务中心",
                "县社会保险服务中心", "县不动产登记中心", "县公共资源交易中心", "县农业技术推广中心",
                "县畜牧兽医服务中心", "县水利管理站", "县图书馆"]
HEALTH = ["县卫生健康局", "县市场监督管理局", "县人民医院", "县中医医院", "县疾病预防控制中心", "县妇幼保健院"]
COMMUNITIES = ["南湖社区", "东街社区", "西街社区", "北街社区", "南关社区", "祁店社区"]
_V1 = ["南", "北", "东", "西", "新", "红", "金", "马", "李", "王", "高", "石", "上", "下", "中", "双", "永", "兴"]
_V2 = ["关", "湖", "河", "寨", "庄", "湾", "沟", "泉", "坝", "堡", "营", "山", "城", "渠", "滩", "墩"]
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕斌宁志国建文辉鹏飞")

CATEGORY_HEADINGS = {
    "decisions": "贯彻落实党的路线方针政策和重大决策部署方面",
    "duty": "落实全面从严治党主体责任和监督责任方面",
    "party_building": "党的建设和组织路线方面",
    "rectification": "巡视巡察整改和审计整改落实方面",
}
CATEGORY_WORDS = {"decisions": "重大决策部署", "duty": "全面从严治党", "party_building": "党的建设",
                  "rectification": "巡视巡察整改"}
PROBLEM_TEXT = {
    "decisions": ["贯彻落实上级决策部署不够及时，传达学习流于形式", "乡村振兴重点任务推进缓慢，项目落地率偏低",
                  "生态环境保护责任落实不到位，整改督查不力", "招商引资政策执行不严格，存在变通执行问题"],
    "duty": ["党组（党委）主体责任落实不到位，研究党风廉政建设次数偏少", "“一岗双责”落实不力，对分管领域监督缺位",
             "公务接待管理不规范，存在超标准接待现象", "违规发放津贴补贴，财务审批把关不严",
             "政府采购程序不规范，未严格执行比选程序"],
    "party_building": ["“三会一课”制度落实不严格，记录不规范", "选人用人程序不规范，干部档案审核不严",
                       "基层党组织换届不及时，党员发展程序不规范", "党费收缴使用管理不规范"],
    "rectification": ["上轮巡察反馈问题整改不彻底，存在反弹回潮", "审计发现问题整改不到位，整改台账不完善",
                      "整改措施针对性不强，长效机制建设滞后"],
}
MEASURES = ["召开专题会议研究部署，制定整改方案，明确责任人和时限", "建立健全相关制度，加强日常监督检查",
            "组织专题学习，开展警示教育", "全面清理核查，退缴违规资金", "完善台账资料，规范工作程序"]
TRANSFER_TO = ["纪委监委", "组织部", "宣传部", "财政局", "审计局"]
DISPOSALS = ["谈话函询", "初步核实", "暂存待查", "予以了结", "立案审查"]
DIMENSIONS = [("政治建设", 20), ("思想建设", 15), ("组织建设", 20), ("作风建设", 15), ("纪律建设", 15), ("制度建设", 15)]
CHECKLIST_FOCUS = [("紧盯重大决策部署落实", 20), ("紧盯“两个责任”落实", 18), ("紧盯党建工作责任落实", 16),
                   ("紧盯反馈问题整改", 15)]


@dataclass
class Unit:
    name: str  # register name
    unit_type: str  # 乡镇 / 县直部门 / 国有企业 / 事业单位 / 村 / 社区
    code: str  # township / department / soe / institution / village / community
    short: str
    parent: str | None = None
    in_scope: bool = True


@dataclass
class Round:
    name: str
    kind_text: str
    kind: str
    level: str  # 县委 / 市委
    ordinal: int | None
    start: D | None
    end: D | None
    feedback: D | None
    topic: str | None = None
    folder: str = ""


@dataclass
class Problem:
    no: str
    round: str
    unit: str
    category: str
    checklist_item: int
    description: str
    measures: str
    leader: str
    person: str
    deadline: object  # date or text
    status: str  # canonical
    rectified_date: D | None
    transferred_to: str | None


@dataclass
class Lead:
    no: str
    round: str
    unit: str
    subject: str
    rank: str
    summary: str
    transferred_to: str
    transfer_date: D
    disposal: str
    status: str  # closed / open
    closed_date: D | None
    outcome: str
    n_disciplined: int
    n_org_handled: int


@dataclass
class World:
    county: str
    as_of: D
    units: list[Unit]
    rounds: list[Round]
    inspections: list[tuple[str, str, str]]  # (round, unit, group)
    problems: list[Problem]
    leads: list[Lead]
    assessments: list[dict]
    team: list[dict]
    checklist: list[tuple[int, str, str]]
    meetings: list[tuple[D, str, str]]
    extra: dict = field(default_factory=dict)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _villages(rng: random.Random, n: int) -> list[str]:
    names = [a + b for a in _V1 for b in _V2]
    rng.shuffle(names)
    return [x + "村" for x in names[:n]]


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder apportionment: whole counts proportional to weights that sum to total."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


def build_world(seed: int = 20200630, *, county: str = "山丹县", as_of: D = D(2020, 6, 30),
                problems_total: int = 1000, qualify_rounds: bool = False) -> World:
    """One county. qualify_rounds prefixes round, township and village names with the county's name
    (for multi-county corpora, where the same names would otherwise collide)."""
    rng = random.Random(seed)
    units: list[Unit] = []
    q = county if qualify_rounds else ""
    for t in TOWNSHIPS:
        units.append(Unit(q + t, "乡镇", "township", t))
    for d in DEPARTMENTS:
        full = ("中共" + county + d[1:]) if d.startswith("县委") else (county + d[1:] if d.startswith("县") else d)
        if q and county not in full:
            full = county + full  # 团县委 → 民乐县团县委: unique across counties
        units.append(Unit(full, "县直部门", "department", d))
    for s in SOES:
        units.append(Unit(county + s[1:], "国有企业", "soe", s))
    for i in INSTITUTIONS:
        units.append(Unit(county + i[1:], "事业单位", "institution", i))
    village_names = _villages(rng, 110)
    for i, v in enumerate(village_names):
        units.append(Unit(q + v, "村", "village", v, parent=q + TOWNSHIPS[i % 8], in_scope=False))
    for c in COMMUNITIES:
        units.append(Unit(q + c, "社区", "community", c, parent=q + "清泉镇", in_scope=False))
    by_short = {u.short: u for u in units}

    pfx = county if qualify_rounds else ""
    rounds = [
        Round(f"{pfx}十四届县委第一轮巡察", "常规巡察", "regular", "县委", 1, D(2017, 4, 10), D(2017, 5, 20), D(2017, 6, 28)),
        Round(f"{pfx}十四届县委第二轮巡察", "常规巡察", "regular", "县委", 2, D(2017, 9, 5), D(2017, 10, 15), D(2017, 11, 20)),
        Round(f"{pfx}十四届县委第三轮巡察", "常规巡察", "regular", "县委", 3, D(2018, 3, 20), D(2018, 4, 30), D(2018, 6, 5)),
        Round(f"{pfx}十四届县委第四轮巡察", "常规巡察", "regular", "县委", 4, D(2018, 9, 3), D(2018, 10, 15), D(2018, 11, 22)),
        Round(f"{pfx}十四届县委第五轮巡察", "常规巡察", "regular", "县委", 5, D(2019, 3, 18), D(2019, 4, 28), D(2019, 6, 3)),
        Round(f"{pfx}十四届县委第六轮巡察", "常规巡察", "regular", "县委", 6, D(2019, 9, 2), D(2019, 10, 12), D(2019, 11, 18)),
        Round(f"{pfx}十四届县委食药卫生领域专项巡察", "专项巡察", "special", "县委", None, D(2019, 5, 6), D(2019, 6, 10),
              D(2019, 7, 15), topic="食药卫生领域"),
        Round(f"{pfx}十四届县委乡镇巡察“回头看”及村（社区）延伸巡察", "回头看", "lookback", "县委", None,
              D(2020, 3, 16), D(2020, 4, 25), D(2020, 5, 28), topic="乡镇巡察整改情况及村（社区）"),
        Round(f"{pfx}市委第二轮巡察", "常规巡察", "regular", "市委", 2, D(2018, 5, 7), D(2018, 6, 15), D(2018, 7, 20)),
        Round(f"{pfx}市委第五轮巡察", "常规巡察", "regular", "市委", 5, D(2019, 10, 8), D(2019, 11, 20), D(2019, 12, 25)),
        Round(f"{pfx}十四届县委第七轮巡察", "常规巡察", "regular", "县委", 7, D(2020, 9, 1), None, None),
    ]
    folders = ["第一轮巡察（2017年）", "第二轮巡察（2017年）", "第三轮巡察（2018年）", "第四轮巡察（2018年）",
               "第五轮巡察（2019年）", "第六轮巡察（2019年）", "食药卫生领域专项巡察", "乡镇巡察回头看",
               "市委巡察", "市委巡察", "第七轮巡察（计划）"]
    for r, f in zip(rounds, folders):
        r.folder = f

    # --- inspections: 54 units over 6 regular rounds, 6 in the special round → 60 covered of 72
    health = set(HEALTH)
    regular_pool = (TOWNSHIPS + [d for d in DEPARTMENTS if d not in health][:32] + SOES[:4]
                    + [i for i in INSTITUTIONS if i not in health][:10])
    assert len(regular_pool) == 54
    rng.shuffle(regular_pool)
    inspections: list[tuple[str, str, str]] = []
    groups = ["第一巡察组", "第二巡察组", "第三巡察组", "第四巡察组"]
    for k in range(6):
        for j, u in enumerate(regular_pool[9 * k: 9 * k + 9]):
            inspections.append((rounds[k].name, by_short[u].name, groups[j % 3]))
    for j, u in enumerate(HEALTH):
        inspections.append((rounds[6].name, by_short[u].name, groups[j % 3]))
    look_towns = TOWNSHIPS[:4]
    look_villages = [u for u in units if u.code == "village" and u.parent in {q + t for t in look_towns}][:20] + \
        [u for u in units if u.code == "community"][:2]
    for j, u in enumerate(look_towns):
        inspections.append((rounds[7].name, by_short[u].name, groups[j]))
    for j, u in enumerate(look_villages):
        inspections.append((rounds[7].name, u.name, groups[j % 4]))
    uncovered = [u for u in units if u.in_scope and u.name not in {i[1] for i in inspections}]
    for j, u in enumerate(uncovered[:5]):
        inspections.append((rounds[8 + j % 2].name, u.name, "市委第三巡察组"))
    covered_by_county = {i[1] for i in inspections}
    city_extra = [by_short[u].name for u in ["县财政局", "县教育局", "县住房和城乡建设局", "县农业农村局", "县交通运输局"]]
    for j, u in enumerate(city_extra):
        inspections.append((rounds[8 + j % 2].name, u, "市委第三巡察组"))
    still_uncovered = [u for u in units if u.in_scope and u.name not in covered_by_county]
    for j, u in enumerate(still_uncovered[:4]):
        inspections.append((rounds[10].name, u.name, groups[j % 3]))

    # --- problems: 1000 fed back, 940 rectified as of as_of
    round_by = {r.name: r for r in rounds}
    fed = [i for i in inspections if round_by[i[0]].feedback and round_by[i[0]].feedback <= as_of]
    weights = []
    for rn, un, _ in fed:
        r = round_by[rn]
        is_village = any(u.name == un and u.code in ("village", "community") for u in units)
        weights.append(2 if is_village else 15 if r.level == "市委" else 12 if r.kind == "special" else
                       8 if r.kind == "lookback" else 14)
    counts = _allocate(problems_total, weights)
    problems: list[Problem] = []
    cats = list(CATEGORY_HEADINGS)
    for (rn, un, _), n in zip(fed, counts):
        r = round_by[rn]
        for j in range(n):
            cat = cats[(j * 7 + len(problems)) % 4] if rng.random() < 0.85 else rng.choice(cats)
            dl_days = rng.choice((60, 75, 90))
            deadline: object = r.feedback + dt.timedelta(days=dl_days)
            roll = rng.random()
            if roll < 0.06:
                deadline = "长期坚持"
            elif roll < 0.1:
                deadline = "立行立改"
            problems.append(Problem(
                no="", round=rn, unit=un, category=cat, checklist_item=rng.randint(1, 69),
                description=rng.choice(PROBLEM_TEXT[cat]), measures=rng.choice(MEASURES), leader=_name(rng),
                person=_name(rng), deadline=deadline, status="rectified",
                rectified_date=min(as_of, r.feedback + dt.timedelta(days=rng.randint(10, 150))),
                transferred_to=rng.choice(TRANSFER_TO) if rng.random() < 0.12 else None))
    # 60 not rectified as of the date: the most recent rounds first
    recent = sorted(range(len(problems)), key=lambda i: (round_by[problems[i].round].feedback, rng.random()),
                    reverse=True)
    pending = recent[: int(round(problems_total * 0.06))]
    plan = (["long_term"] * 20 + ["in_progress"] * 25 + ["not_started"] * 10 + ["rectified_late"] * 5)
    plan = (plan * (len(pending) // len(plan) + 1))[: len(pending)]
    for idx, st in zip(pending, plan):
        p = problems[idx]
        if st == "rectified_late":
            p.status, p.rectified_date = "rectified", as_of + dt.timedelta(days=rng.randint(3, 40))
        else:
            p.status, p.rectified_date = st, None
            if st == "long_term":
                p.deadline = "长期坚持"
            elif rng.random() < 0.5:
                p.deadline = as_of - dt.timedelta(days=rng.randint(5, 60))  # overdue
            else:
                p.deadline = as_of + dt.timedelta(days=rng.randint(10, 90))
    per_unit: dict[tuple[str, str], int] = {}
    for p in problems:
        k = (p.round, p.unit)
        per_unit[k] = per_unit.get(k, 0) + 1
        p.no = f"{per_unit[k]:03d}"

    # --- leads: 96 transferred as of the date (+1 later), 80 closed (+1 closed after the date)
    lead_rounds = [r for r in rounds if r.feedback and r.feedback <= as_of]
    leads: list[Lead] = []
    n_leads = max(1, round(problems_total * 0.096))
    for k in range(n_leads + 1):
        r = lead_rounds[k % len(lead_rounds)]
        cands = [i[1] for i in inspections if i[0] == r.name]
        unit = cands[(k // len(lead_rounds)) % len(cands)]
        late = k == n_leads
        tdate = (as_of + dt.timedelta(days=15)) if late else r.feedback + dt.timedelta(days=rng.randint(3, 25))
        leads.append(Lead(no=f"XS{r.start.year}-{k + 1:03d}", round=r.name, unit=unit, subject=_name(rng),
                          rank=rng.choice(["股长", "副局长", "党委委员", "站长", "会计", "村党支部书记"]),
                          summary=rng.choice(["违规发放补贴", "公车私用", "违规收受礼金", "虚报冒领项目资金",
                                              "优亲厚友评定低保", "违规经商办企业"]),
                          transferred_to="县纪委监委" if rng.random() < 0.8 else "县委组织部",
                          transfer_date=tdate, disposal=rng.choice(DISPOSALS), status="open", closed_date=None,
                          outcome="", n_disciplined=0, n_org_handled=0))
    counted = [ld for ld in leads if ld.transfer_date <= as_of]
    order = sorted(counted, key=lambda ld: ld.transfer_date)
    # one counted lead is always closed after the as-of date (so a small --problems still has one left over)
    n_closed = min(int(round(n_leads * 80 / 96)), len(order) - 1)
    for ld in order[:n_closed + 1]:
        ld.status = "closed"
        ld.closed_date = min(as_of, ld.transfer_date + dt.timedelta(days=rng.randint(20, 200)))
    order[n_closed].closed_date = as_of + dt.timedelta(days=20)  # closed after the as-of date
    closed_now = order[:n_closed]
    disc = _allocate(max(0, round(problems_total * 0.003)), [1] * len(closed_now))
    org = _allocate(max(0, round(problems_total * 0.029)), [1] * len(closed_now))
    rng.shuffle(disc)
    rng.shuffle(org)
    for ld, a, b in zip(closed_now, disc, org):
        ld.n_disciplined, ld.n_org_handled = a, b
        ld.outcome = ("给予党纪处分" if a else "") + ("诫勉谈话" if b else "") or "予以了结"

    # --- political-ecology assessment: 8 townships + 17 departments (2019); a 2018 long sheet for 5
    assess_units = [by_short[t].name for t in TOWNSHIPS] + \
        [by_short[d].name for d in DEPARTMENTS[:17]]
    assessments = []
    for period, ulist in (("2019年度", assess_units), ("2018年度", assess_units[:5])):
        for un in ulist:
            scores = {}
            for dim, mx in DIMENSIONS:
                scores[dim] = round(mx * rng.uniform(0.72, 0.99), 1)
            total = round(sum(scores.values()), 1)
            assessments.append({"unit": un, "period": period, "scores": scores, "total": total})

    # --- team: 3 groups per county round (4 in the look-back); two groups break 3+N
    team = []
    county_rounds = [r for r in rounds[:8]]
    for r in county_rounds:
        ngroups = 4 if r.kind == "lookback" else 3
        for g in range(ngroups):
            specs = ["纪检", "组织", "财务", "审计", "信访", "党务"]
            if (r.ordinal == 2 and g == 1) or (r.kind == "special" and g == 2):
                specs = ["组织", "信访", "党务", "党务", "信访"]  # no 纪检, no 财务/审计
            roles = ["组长", "副组长"] + ["组员"] * (len(specs) - 2)
            for s, role in zip(specs, roles):
                team.append({"round": r.name, "group": groups[g], "name": _name(rng), "role": role,
                             "specialty": s, "pool": rng.choice(["墩苗计划", "后备干部", "拟提拔", "新提拔", "专业干部"])})

    checklist = []
    n = 0
    for focus, k in CHECKLIST_FOCUS:
        for j in range(k):
            n += 1
            checklist.append((f"{q}{n}" if q else n, focus, f"{q}{focus[2:]}：重点检查事项第{j + 1}项"))
    assert len(checklist) == 69

    meetings = []
    lg_dates = [D(2017, 3, 20), D(2017, 8, 25), D(2018, 3, 10), D(2018, 8, 28), D(2019, 3, 8), D(2019, 8, 26),
                D(2019, 12, 20), D(2020, 3, 5)]
    for d in lg_dates:
        meetings.append((d, "巡察工作领导小组会议", f"{q}研究部署本轮巡察工作，听取巡察情况汇报"))
    for d in [D(2017, 7, 10), D(2018, 1, 15), D(2018, 12, 10), D(2019, 7, 5), D(2020, 6, 10)]:
        meetings.append((d, "书记专题会议", f"{q}听取巡察综合情况汇报，研究问题整改"))
    for d in [D(2017, 4, 8), D(2019, 3, 15)]:
        meetings.append((d, "巡察工作动员部署会", f"{q}动员部署"))
    meetings.append((D(2020, 8, 20), "巡察工作领导小组会议", f"{q}部署第七轮巡察"))  # after the as-of date
    meetings.sort()

    return World(county=county, as_of=as_of, units=units, rounds=rounds, inspections=inspections,
                 problems=problems, leads=leads, assessments=assessments, team=team, checklist=checklist,
                 meetings=meetings)


KIND_CODES = {"常规巡察": "regular", "专项巡察": "special", "回头看": "lookback"}


def merge_worlds(worlds: list[World]) -> World:
    """Several counties as one (for province-scale corpora and their ground truth)."""
    if len(worlds) == 1:
        return worlds[0]
    first = worlds[0]
    return World(county=first.county, as_of=first.as_of,
                 **{k: [x for w in worlds for x in getattr(w, k)] for k in (
                     "units", "rounds", "inspections", "problems", "leads", "assessments", "team", "checklist",
                     "meetings")})


def expected_metrics(w: World, as_of: D | None = None) -> dict:
    """DATA_CONTRACT section 6 measured on the ground truth, independently of the pipeline."""
    d = as_of or w.as_of
    started = {r.name for r in w.rounds if r.level == "县委" and (r.start is None or r.start <= d)}
    kinds: dict[str, int] = {}
    for r in w.rounds:
        if r.name in started:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
    in_scope = {u.name for u in w.units if u.in_scope}
    inspected = {un for rn, un, _ in w.inspections if rn in started}
    villages = {u.name for u in w.units if u.code in ("village", "community")}
    rb = {r.name: r for r in w.rounds}
    probs = [p for p in w.problems if rb[p.round].feedback is None or rb[p.round].feedback <= d]
    rect = [p for p in probs if p.status == "rectified" and (p.rectified_date is None or p.rectified_date <= d)]
    overdue = [p for p in probs if p.status in ("in_progress", "not_started") and isinstance(p.deadline, D)
               and p.deadline < d]
    leads = [ld for ld in w.leads if ld.transfer_date is None or ld.transfer_date <= d]
    closed = [ld for ld in leads if ld.status == "closed" and (ld.closed_date is None or ld.closed_date <= d)]
    unit_code = {u.name: u.code for u in w.units}
    assessed: dict[str, set] = {}
    for a in w.assessments:
        year = int(a["period"][:4])
        if D(year, 1, 1) <= d:
            assessed.setdefault(unit_code[a["unit"]], set()).add(a["unit"])
    meetings: dict[str, int] = {}
    for md, mt, _ in w.meetings:
        if md <= d:
            code = "leading_group" if "领导小组" in mt else "secretary" if "书记专题" in mt else "other"
            meetings[code] = meetings.get(code, 0) + 1
    teams: dict[tuple, set] = {}
    for t in w.team:
        teams.setdefault((t["round"], t["group"]), set()).add(t["specialty"])
    n3 = sum(1 for s in teams.values() if "纪检" in s and ("党务" in s or "组织" in s) and ("财务" in s or "审计" in s))
    return {
        "as_of": d.isoformat(),
        "rounds_by_kind": dict(sorted(kinds.items())),
        "units_in_scope": len(in_scope),
        "units_covered": len(in_scope & inspected),
        "coverage_rate": len(in_scope & inspected) / len(in_scope),
        "villages_total": len(villages),
        "villages_covered": len(villages & inspected),
        "problems_total": len(probs),
        "problems_rectified": len(rect),
        "rectification_rate": len(rect) / len(probs) if probs else None,
        "problems_overdue": len(overdue),
        "leads_transferred": len(leads),
        "leads_closed": len(closed),
        "lead_closure_rate": len(closed) / len(leads) if leads else None,
        "people_disciplined": sum(ld.n_disciplined for ld in leads),
        "people_org_handled": sum(ld.n_org_handled for ld in leads),
        "ecology_assessed_by_type": {k: len(v) for k, v in sorted(assessed.items())},
        "checklist_items": len(w.checklist),
        "meetings_by_type": dict(sorted(meetings.items())),
        "teams_total": len(teams),
        "teams_3n": n3,
        # every demo record has a known status (the writer spells it with a vocabulary word)
        "problems_status_unknown": sum(1 for p in probs if p.status is None),
        "leads_status_unknown": sum(1 for ld in leads if ld.status is None),
    }
