"""Writes the report notebooks (notebooks/*.ipynb, outputs stripped) from the cell sources below.

Usage: .venv/bin/python scripts/build_notebooks.py notebooks
The committed notebooks are the source of truth for analysts (JupyterLab); this script is how they were
written and the quickest way to change them all at once. Edit here or in JupyterLab, not both.
"""
import sys

import nbformat as nbf

PARAMS = '''# 参数（papermill 会注入新值；直接在 JupyterLab 中运行时使用这里的默认值：演示数据仓库）
db = "../data_clean/warehouse.duckdb"
as_of = "2020-06-30"     # 统计截至日期
period = ""              # YYYY-MM；填写后以该月最后一天为截至日期
round_filter = ""        # 只看某一轮次：全称，或唯一的简称（如 "第七轮"），留空为全部
unit_type_filter = ""    # 只看某类单位：乡镇 / 县直部门 / 国有企业 / 事业单位 / 村 / 社区，留空为全部
redact = True            # True：不显示任何人名（contract.yaml 中各类台账 personal: 所列的列）
profile_unit = ""        # 政治生态“单位画像”显示哪个单位（留空为总分最高者）
settings = {}            # settings.yaml 的设置（报告程序传入入库所用的设置；留空为程序自带的默认值）
personal = None          # 需隐去的列（"表.列"；报告程序按 contract.yaml 的 personal: 传入；None 为默认契约）'''

SETUP = '''from pipelines.report import kit
from pipelines.metrics import period_end, compute
import pandas as pd
import plotly.graph_objects as go

D = period_end(period) if period else kit.as_date(as_of)
con = kit.connect(db, redact=redact, personal=personal)
S = kit.settings(settings)
P = dict(db=db, as_of=D.isoformat(), period=period, round_filter=round_filter,
         unit_type_filter=unit_type_filter, redact=redact, settings=settings)
F = kit.filters(con, round_filter, unit_type_filter)  # 乡镇 或 township；唯一的简称如 第七轮；对不上任何记录时报错
rf, uf = F.round_name, F.unit_type'''

def nb(name, title, cells):
    n = nbf.v4.new_notebook()
    n.metadata = {"kernelspec": {"name": "xuncha", "display_name": "xuncha (Python)", "language": "python"},
                  "language_info": {"name": "python"}, "title": title}
    c = nbf.v4.new_code_cell(PARAMS)
    c.metadata["tags"] = ["parameters"]
    cs = [nbf.v4.new_markdown_cell(f"# {title}\n\n本笔记本只查询数据仓库中的 mart 并作图；指标口径见 docs/data-contract.md。"), c,
          nbf.v4.new_code_cell(SETUP)]
    for src in cells:
        cs.append(nbf.v4.new_code_cell(src.strip("\n")))
    cs.append(nbf.v4.new_code_cell("kit.manifest(con, P)\ncon.close()"))
    n.cells = cs
    for i, cell in enumerate(n.cells):
        cell["id"] = f"{name}-{i}"
    nbf.write(n, sys.argv[1] + f"/{name}.ipynb")

nb("monthly_brief", "巡察工作月度简报", [
'''
# 开篇综述：数字取自 mart，句子由 pipelines/report/narrative.py 生成（与 月度简报.docx 相同）
from pipelines import history
from pipelines.report.narrative import brief_sentences
m = compute(con, D)
prev_period, prev = history.previous(con, D.strftime("%Y-%m"))
vs = history.compare_label(D.strftime("%Y-%m"), prev_period)  # 较上月，或与哪个月比（中间缺了月份时）
kit.header(con, "巡察工作月度简报", D, "供县委书记、巡察工作领导小组阅")
for sentence in brief_sentences(con, D, prev, metrics=m):
    kit.para(sentence)
''',
'''
kinds = m["rounds_by_kind"]
rounds_text = "、".join(f"{kit.label('round_kind', k)}{n}轮" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
kit.tiles([
    ("巡察覆盖率", f"{round(m['coverage_rate'] * 100) if m['coverage_rate'] is not None else '—'}%",
     f"{m['units_covered']}/{m['units_in_scope']} 个党组织 " + (history.delta(m, prev, "coverage_rate", "rate", vs) or ""),
     ("units", "inspections")),
    ("反馈问题整改率", f"{round(m['rectification_rate'] * 100) if m['rectification_rate'] is not None else '—'}%",
     f"已整改 {m['problems_rectified']}/{m['problems_total']} 个 " + (history.delta(m, prev, "problems_rectified", label=vs, unit="个") or ""),
     ("problems",)),
    ("问题线索办结", f"{m['leads_closed']}/{m['leads_transferred']} 件",
     f"办结率 {kit.pct(m['lead_closure_rate'], 0)} " + (history.delta(m, prev, "leads_closed", label=vs, unit="件") or ""),
     ("leads",)),
    ("党纪政纪处分", f"{m['people_disciplined']} 人", history.delta(m, prev, "people_disciplined", label=vs, unit="人"),
     ("leads",)),
    ("组织处理", f"{m['people_org_handled']} 人", history.delta(m, prev, "people_org_handled", label=vs, unit="人"),
     ("leads",)),
    ("已开展巡察", f"{sum(kinds.values())} 轮", rounds_text, ("rounds",)),
])
if prev_period:
    py, pm = prev_period.split("-")
    kit.note(f"“{vs}”与 {py}年{int(pm)}月 简报记录的数字比较（来自历史记录，而非按旧日期重算）"
             + ("。" if vs == "较上月" else "；上个月没有记录。"))
else:
    kit.note("这是第一期有记录的简报，下期起显示与上期相比的变化。")
''',
'''
kit.h("其他工作情况")
mt = m["meetings_by_type"]
kit.tiles([
    ("领导小组会议", f"{mt.get('leading_group', 0)} 次", None, ("meetings",)),
    ("书记专题会议", f"{mt.get('secretary', 0)} 次", None, ("meetings",)),
    ("监督重点清单", f"{m['checklist_items']} 条", None, ("checklist",)),
    ("政治生态评价试点", f"{sum(m['ecology_assessed_by_type'].values())} 个",
     "、".join(f"{kit.label('unit_type', k)}{n}个" for k, n in m["ecology_assessed_by_type"].items()), ("assessments",)),
    ("村（社区）延伸覆盖", f"{m['villages_covered']}/{m['villages_total']} 个", None, ("units", "inspections")),
    ("巡察组“3+N”达标", f"{m['teams_3n']}/{m['teams_total']} 个", None, ("team",)),
])
''',
'''
kit.h("需要关注")
overdue = con.execute("""SELECT unit_name, count(*) AS n, min(deadline) AS earliest FROM mart_problems(?)
                         WHERE overdue GROUP BY 1 ORDER BY n DESC, earliest""", [D]).df()
days = S["lead_open_days_alert"]
long_open = con.execute("""SELECT round_name, unit_name, count(*) AS n, max(days_open) AS max_days FROM mart_leads(?)
                           WHERE counted AND NOT closed AND days_open > ? GROUP BY ALL ORDER BY max_days DESC""",
                        [D, days]).df()
never = con.execute("""SELECT unit_name, unit_type FROM mart_unit_coverage(?) WHERE in_scope AND NOT covered
                       ORDER BY unit_type, unit_name""", [D]).df()
kit.para(f"逾期未完成整改的问题 {int(overdue['n'].sum()) if not overdue.empty else 0} 个，涉及 {len(overdue)} 个单位；"
         f"移交超过 {days} 天仍未办结的线索 {int(long_open['n'].sum()) if not long_open.empty else 0} 件；"
         f"尚未巡察的党组织 {len(never)} 个。")
kit.first_few(overdue, {"unit_name": "单位", "n": "逾期问题（个）", "earliest": "最早整改时限"},
              "逾期未完成整改（按单位）", "个单位", "rectification.html#overdue", "《问题整改》")
kit.first_few(long_open, {"round_name": "轮次", "unit_name": "单位", "n": "未办结线索（件）", "max_days": "最长已移交（天）"},
              f"移交超过 {days} 天仍未办结的线索（仅汇总，不含人名）", "个单位", "leads.html", "《线索办理》")
never["unit_type"] = never["unit_type"].map(kit.labels("unit_type"))
kit.first_few(never, {"unit_name": "单位", "unit_type": "类别"}, "尚未巡察的党组织", "个",
              "coverage.html#not-inspected", "《巡察覆盖》")
''',
'''
kit.h("约谈督促整改")
T = con.execute("SELECT * FROM mart_talks(?)", [D]).df()
last = T[T["latest"]]
kit.tiles([("领导约谈", f"{len(T)} 人次", f"涉及 {T['unit_name'].nunique()} 个单位"),
           ("约谈后仍未整改到位", f"{int(last['not_settled'].sum())} 个单位"),
           ("约谈两次及以上", f"{int((last['talks_of_unit'] > 1).sum())} 个单位")])
pending = last[last["not_settled"]].sort_values("talk_date")
pending = pending.assign(reason=pending["reason"].map(kit.labels("talk_reason")),
                         follow_up=pending["follow_up"].map(kit.labels("talk_follow_up")))
kit.table(pending, {"unit_name": "单位", "talks_of_unit": "约谈次数", "talk_date": "最近约谈", "reason": "约谈事由",
                    "follow_up": "跟踪情况", "open_problems": "尚未整改问题"},
          caption="约谈后仍未整改到位的单位（不含人名）")
''',
'''
kit.h("各轮次整改进度")
by_round = con.execute("""SELECT round_name, count(*) AS total, count(*) FILTER (WHERE rectified) AS rectified
                          FROM mart_problems(?) WHERE counted GROUP BY 1 ORDER BY min(round_start)""", [D]).df()
kit.bar(by_round, "round_name", ["total", "rectified"], "各轮次反馈问题与已整改数", "轮次", "问题数（个）",
        names={"total": "反馈问题", "rectified": "已整改"})
v = kit.validation_status(con)
kit.note("数据校验：" + (kit.label("validation_status", v["status"]) if v["status"] else "未校验") + "。详见数据质量报告。")
''',
])

nb("coverage", "巡察全覆盖情况", [
'''
kit.header(con, "巡察全覆盖情况", D)
m = compute(con, D)
kit.tiles([("巡察覆盖率", kit.pct(m["coverage_rate"], 0), f"{m['units_covered']}/{m['units_in_scope']} 个党组织"),
           ("尚未巡察", f"{m['units_in_scope'] - m['units_covered']} 个"),
           ("村（社区）延伸覆盖", f"{m['villages_covered']}/{m['villages_total']}", kit.pct(
               m['villages_covered'] / m['villages_total'] if m['villages_total'] else None))])
''',
'''
kit.h("按单位类别")
bt = con.execute("SELECT * FROM mart_coverage_by_type(?) WHERE in_scope > 0", [D]).df()
if uf:
    bt = bt[bt["unit_type"] == uf]
bt["类别"] = bt["unit_type"].map(kit.labels("unit_type"))
kit.bar(bt, "类别", ["in_scope", "covered"], "各类党组织覆盖情况", "单位类别", "党组织数（个）",
        names={"in_scope": "纳入巡察范围", "covered": "已巡察"})
kit.table(bt, {"类别": "类别", "in_scope": "纳入范围（个）", "covered": "已巡察（个）", "rate": "覆盖率"}, pct_cols=("rate",))
''',
'''
kit.h("按轮次累计覆盖")
cr = con.execute("SELECT * FROM mart_coverage_by_round(?)", [D]).df()
fig = go.Figure()
fig.add_scatter(x=kit.short_labels(cr["round_name"]), y=cr["coverage_cum"] * 100, mode="lines+markers+text",
                text=[f"{v:.0f}%" for v in cr["coverage_cum"] * 100], textposition="top center", name="累计覆盖率",
                customdata=cr["round_name"], hovertemplate="%{customdata}<br>累计覆盖率 %{y:.1f}%<extra></extra>")
fig.update_layout(xaxis_title="轮次（按进驻时间）", yaxis_title="累计覆盖率（%）", yaxis=dict(range=[0, 105]))
kit.show(fig, "累计覆盖率")
''',
'''
kit.anchor("尚未巡察的党组织（本届全覆盖还需完成）", "not-inspected")
rest = con.execute("""SELECT unit_name, unit_type FROM mart_unit_coverage(?) WHERE in_scope AND NOT covered
                      AND (? IS NULL OR unit_type = ?) ORDER BY unit_type, unit_name""", [D, uf, uf]).df()
rest["unit_type"] = rest["unit_type"].map(kit.labels("unit_type"))
kit.table(rest, {"unit_name": "单位", "unit_type": "类别"})
''',
'''
kit.h("村（社区）延伸巡察覆盖（按乡镇）")
vil = con.execute("""SELECT coalesce(parent, '未填') AS township, count(*) AS total, count(*) FILTER (WHERE covered) AS covered
                     FROM mart_unit_coverage(?) WHERE is_village GROUP BY 1 ORDER BY 1""", [D]).df()
kit.bar(vil, "township", ["total", "covered"], "各乡镇村（社区）覆盖情况", "乡镇", "村（社区）数（个）",
        names={"total": "村（社区）总数", "covered": "已延伸巡察"})
''',
])

nb("rectification", "巡察反馈问题整改情况", [
'''
kit.header(con, "巡察反馈问题整改情况", D)
base = """SELECT * FROM mart_problems(?) WHERE counted AND (? IS NULL OR round_name = ?) AND (? IS NULL OR unit_type = ?)"""
p = con.execute(base, [D, rf, rf, uf, uf]).df()
n, r = len(p), int(p["rectified"].sum()) if len(p) else 0
kit.tiles([("反馈问题", f"{n} 个"), ("已整改", f"{r} 个"), ("整改率", kit.pct(r / n if n else None, 0)),
           ("逾期未完成", f"{int(p['overdue'].sum()) if n else 0} 个")])
''',
'''
kit.h("按轮次")
B = con.execute("SELECT * FROM mart_rectification_breakdown(?, round_filter := ?, unit_type_filter := ?)",
                [D, rf, uf]).df()
g = B[B["dimension"] == "round"]
kit.bar(g, "key", ["total", "rectified"], "各轮次问题整改", "轮次", "问题数（个）",
        names={"total": "反馈问题", "rectified": "已整改"})
kit.table(g, {"key": "轮次", "total": "反馈问题（个）", "rectified": "已整改（个）", "rate": "整改率"}, pct_cols=("rate",))
''',
'''
kit.h("按问题类别（“四个紧盯”）")
c = B[B["dimension"] == "category"].copy()
c["类别"] = c["key"].map(kit.labels("category"))
kit.bar(c, "类别", ["total", "rectified"], "各类别问题整改", "问题类别", "问题数（个）",
        names={"total": "反馈问题", "rectified": "已整改"})
''',
'''
kit.h("按单位（整改率最低的 20 个）")
u = B[B["dimension"] == "unit"].copy()
u["unit_type_of_key"] = u["unit_type_of_key"].map(kit.labels("unit_type"))
kit.table(u.sort_values(["rate", "total"], ascending=[True, False]).head(20),
          {"key": "单位", "unit_type_of_key": "类别", "total": "反馈问题（个）", "rectified": "已整改（个）", "overdue": "逾期（个）",
           "rate": "整改率"}, pct_cols=("rate",))
''',
'''
kit.h("整改进度（按完成时间累计）")
t = p[p["rectified"] & p["rectified_date"].notna()].copy()
if not t.empty:
    t["month"] = pd.to_datetime(t["rectified_date"]).dt.to_period("M").dt.to_timestamp()
    mm = t.groupby("month").size().cumsum().reset_index(name="cum")
    fig = go.Figure()
    fig.add_scatter(x=mm["month"], y=mm["cum"], mode="lines", name="累计已整改", fill="tozeroy")
    fig.update_layout(xaxis_title="月份", yaxis_title="累计已整改问题（个）")
    kit.month_axis(fig, mm["month"])
    kit.show(fig, "累计整改完成数")
''',
'''
kit.anchor("逾期未完成的问题", "overdue")
od = p[p["overdue"]].sort_values("deadline")
od = od.assign(status=od["status"].map(kit.labels("problem_status")))
kit.table(od, {"round_name": "轮次", "unit_name": "单位", "description": "问题", "deadline": "整改时限", "status": "进展",
               "src_file": "来源文件", "src_row": "行"})
kit.h("尚未整改完成的问题")
op = p[~p["rectified"]].sort_values(["round_start", "unit_name"])
op = op.assign(status=op["status"].map(kit.labels("problem_status")))
kit.table(op, {"round_name": "轮次", "unit_name": "单位", "description": "问题", "deadline": "整改时限",
               "deadline_text": "时限说明", "status": "进展"})
''',
'''
kit.h("约谈督促整改（领导干部约谈）")
T = con.execute("""SELECT * FROM mart_talks(?) WHERE (? IS NULL OR round_name = ?) AND (? IS NULL OR unit_type = ?)""",
                [D, rf, rf, uf, uf]).df()
if T.empty:
    kit.note("约谈台账中没有截至本期的约谈记录。")
else:
    last = T[T["latest"]]
    kit.tiles([("约谈", f"{len(T)} 人次", f"涉及 {T['unit_name'].nunique()} 个单位"),
               ("约谈后已整改到位", f"{int((~last['not_settled']).sum())} 个单位"),
               ("仍未整改到位", f"{int(last['not_settled'].sum())} 个单位")])
    why = T.groupby("reason", dropna=False).size().reset_index(name="n").sort_values("n", ascending=False)
    why["事由"] = why["reason"].map(kit.labels("talk_reason"))
    kit.bar(why, "事由", "n", "约谈事由", "约谈事由", "约谈（人次）", text="n")
    last = last.assign(follow_up=last["follow_up"].map(kit.labels("talk_follow_up")))
    kit.table(last.sort_values(["not_settled", "talk_date"], ascending=[False, False]),
              {"unit_name": "单位", "round_name": "涉及轮次", "talks_of_unit": "约谈次数", "talk_date": "最近约谈",
               "follow_up": "跟踪情况", "open_problems": "尚未整改问题", "overdue_problems": "其中逾期"},
              caption="各单位约谈与整改跟踪（不含人名）")
''',
'''
kit.h("问题移交（按接收部门）")
tr = B[B["dimension"] == "transferred_to"].copy()
tr["部门"] = tr["key"].map(kit.labels("problem_transfer"))
kit.bar(tr, "部门", "total", "移交问题数", "接收部门", "问题数（个）", text="total")
''',
])

nb("leads", "问题线索移交办理情况", [
'''
kit.header(con, "问题线索移交办理情况", D, "默认仅显示汇总数字，不含任何人名" if redact else "含人名，仅限内部使用")
src = "mart_leads" if redact else "mart_leads_named"
L = con.execute(f"SELECT * FROM {src}(?) WHERE counted AND (? IS NULL OR round_name = ?) AND (? IS NULL OR unit_type = ?)",
                [D, rf, rf, uf, uf]).df()
n, c = len(L), int(L["closed"].sum()) if len(L) else 0
kit.tiles([("移交线索", f"{n} 件"), ("已办结", f"{c} 件"), ("办结率", kit.pct(c / n if n else None, 0)),
           ("党纪政纪处分", f"{int(L['n_disciplined'].sum()) if n else 0} 人"),
           ("组织处理", f"{int(L['n_org_handled'].sum()) if n else 0} 人")])
''',
'''
kit.h("各轮次移交与办结")
LB = con.execute("SELECT * FROM mart_leads_breakdown(?, round_filter := ?, unit_type_filter := ?)", [D, rf, uf]).df()
g = LB[LB["dimension"] == "round"]
kit.bar(g, "key", ["transferred", "closed"], "各轮次线索移交与办结", "轮次", "线索（件）",
        names={"transferred": "移交", "closed": "办结"})
kit.bar(g, "key", ["n_disciplined", "n_org_handled"], "处理结果：党纪政纪处分与组织处理", "轮次", "人数（人）",
        names={"n_disciplined": "党纪政纪处分", "n_org_handled": "组织处理"}, barmode="stack")
''',
'''
kit.h("处置方式与接收单位")
d = LB[LB["dimension"] == "disposal"]
fig = go.Figure(go.Pie(labels=d["key"].map(kit.labels("disposal")), values=d["transferred"], hole=0.45,
                       texttemplate="%{label}<br>%{value} 件", hovertemplate="%{label}：%{value} 件（%{percent}）<extra></extra>"))
kit.show(fig, "处置方式")
t = LB[LB["dimension"] == "transferred_to"].assign(接收单位=lambda x: x["key"].map(kit.labels("lead_transfer")))
kit.table(t, {"接收单位": "接收单位", "transferred": "线索（件）", "closed": "已办结（件）"})
''',
'''
kit.h("办结用时")
dd = L[L["closed"] & L["days_to_close"].notna()]
if not dd.empty:
    fig = go.Figure(go.Histogram(x=dd["days_to_close"], nbinsx=20, name="线索数"))
    fig.update_layout(xaxis_title="从移交到办结的天数", yaxis_title="线索（件）")
    kit.show(fig, f"办结用时分布（中位数 {dd['days_to_close'].median():.0f} 天）")
''',
'''
if not redact:
    kit.h("线索明细（含人名，仅限内部使用）")
    kit.table(L.assign(status=L["status"].map(kit.labels("lead_status"))),
              {"lead_no": "编号", "round_name": "轮次", "unit_name": "单位", "subject": "被反映人",
               "summary": "问题摘要", "status": "办理情况", "outcome": "处理结果"})
''',
])

nb("ecology", "政治生态建设评价", [
'''
kit.header(con, "政治生态建设评价", D)
E = con.execute("SELECT * FROM mart_ecology(?) WHERE (? IS NULL OR unit_type = ?)", [D, uf, uf]).df()
S = con.execute("SELECT * FROM mart_ecology_scores(?) WHERE (? IS NULL OR unit_type = ?)", [D, uf, uf]).df()
by_type = E.groupby("unit_type").size()
kit.tiles([("已评价单位", f"{len(E)} 个", "、".join(f"{kit.label('unit_type', k)}{v}个" for k, v in by_type.items())),
           ("平均总分", f"{E['total'].mean():.1f} 分" if len(E) else "—"),
           ("评为“好”", f"{int((E['grade'] == 'good').sum())} 个")])
''',
'''
if not S.empty:
    kit.h("各维度得分（热力图）")
    hm = S.pivot_table(index="unit_name", columns="dimension", values="score", aggfunc="mean")
    hm = hm.loc[E.sort_values("total", ascending=False)["unit_name"].loc[lambda s: s.isin(hm.index)]]
    fig = go.Figure(go.Heatmap(z=hm.values, x=list(hm.columns), y=list(hm.index), colorscale="RdYlGn",
                               colorbar=dict(title="得分"), hovertemplate="%{y}<br>%{x}：%{z}<extra></extra>"))
    fig.update_layout(xaxis_title="评价维度", yaxis_title="单位", yaxis=dict(autorange="reversed"))
    kit.show(fig, "“六看”维度得分", height=max(380, 22 * len(hm) + 120))
''',
'''
kit.h("总分排名与等次分布")
r = E.sort_values("total", ascending=False)
kit.bar(r, "unit_name", "total", "总分排名", "单位", "总分（分）", horizontal=True, text="total", height=max(380, 22 * len(r) + 100))
gd = E.groupby("grade").size().reindex(["good", "fairly_good", "average", "poor"]).fillna(0).reset_index(name="n")
gd["等次"] = gd["grade"].map(kit.labels("grade"))
kit.bar(gd, "等次", "n", "评价等次分布", "等次", "单位数（个）", text="n")
''',
'''
kit.h("乡镇与部门对比")
cmp_ = E.assign(类别=E["unit_type"].map(kit.labels("unit_type")))
fig = go.Figure()
for t, sub in cmp_.groupby("类别"):
    fig.add_box(y=sub["total"], name=t, boxpoints="all")
fig.update_layout(xaxis_title="单位类别", yaxis_title="总分（分）")
kit.show(fig, "乡镇与部门总分分布")
''',
'''
if not S.empty:
    top = profile_unit if profile_unit in set(S["unit_name"]) else E.sort_values("total", ascending=False)["unit_name"].iloc[0]
    one = S[S["unit_name"] == top]
    kit.h(f"单位画像：{top}")
    kit.bar(one, "dimension", "score", f"{top} 各维度得分", "评价维度", "得分（分）", horizontal=True, text="score",
            names={"score": "得分"})
''',
])

nb("quality", "数据质量报告", [
'''
kit.header(con, "数据质量报告", D)
v = kit.validation_status(con)
f = con.execute("SELECT count(*) FILTER (WHERE status='ingested'), count(*) FILTER (WHERE status='duplicate'), "
                "count(*) FILTER (WHERE status='failed'), sum(rows_read), sum(rows_loaded), sum(rows_quarantined), "
                "sum(rows_skipped) FROM files").fetchone()
n_ignored = con.execute("SELECT count(*) FROM files WHERE status = 'ignored'").fetchone()[0]
kit.tiles([("校验状态", kit.label("validation_status", v["status"]) if v["status"] else "未校验",
            f"错误 {v['n_errors']} 条，警告 {v['n_warnings']} 条" if v["status"] else None),
           ("入库文件", f"{f[0]} 个", f"重复 {f[1]} 个，失败 {f[2]} 个" + (f"，不是台账已忽略 {n_ignored} 个" if n_ignored else "")),
           ("数据行", f"{f[3] or 0} 行", f"入库 {f[4] or 0} / 隔离 {f[5] or 0} / 跳过 {f[6] or 0}")])
from IPython.display import HTML, display
display(HTML('<p>完整问题清单（含文件、工作表、行号）：<a href="../quality/index.html">数据质量与问题清单</a> · '
             '<a href="../quality/findings.xlsx">Excel 版</a></p>'))
''',
'''
kit.h("各规则发现的问题")
q = kit.rule_counts(con)
q["severity"] = q["severity"].map(kit.labels("severity"))
kit.table(q, {"title": "规则", "severity": "严重程度", "n": "问题（条）"})
''',
'''
kit.h("隔离区（未能入库的行）")
qa = con.execute("SELECT kind, reason_code, count(*) AS n FROM quarantine GROUP BY ALL ORDER BY n DESC").df()
qa = qa.assign(kind=qa["kind"].map(kit.labels("kind")), reason_code=qa["reason_code"].map(kit.labels("reason")))
kit.table(qa, {"kind": "台账类型", "reason_code": "原因", "n": "行数（行）"})
kit.h("读取失败的文件、未识别的工作表与不是台账的文件")
kit.table(con.execute("SELECT path, error FROM files WHERE status = 'failed' ORDER BY path").df(),
          {"path": "文件", "error": "原因"})
kit.table(con.execute("SELECT file, sheet, header FROM sheets WHERE kind IS NULL ORDER BY file, sheet").df(),
          {"file": "文件", "sheet": "工作表", "header": "看到的表头"})
kit.table(con.execute("SELECT path FROM files WHERE status = 'ignored' ORDER BY path").df(),
          {"path": "不是台账，已忽略（Word、PDF、图片、压缩包等）"})
kit.h("各类台账入库行数")
kr = con.execute("SELECT kind, count(*) FILTER (WHERE outcome='loaded') AS loaded, "
                 "count(*) FILTER (WHERE outcome='quarantined') AS quarantined FROM raw_rows "
                 "WHERE row_class='data' GROUP BY 1 ORDER BY 1").df()
kit.table(kr.assign(kind=kr["kind"].map(kit.labels("kind"))), {"kind": "台账类型", "loaded": "入库（行）", "quarantined": "隔离（行）"})
''',
])
