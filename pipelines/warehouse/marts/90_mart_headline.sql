-- The scalar headline metrics of DATA_CONTRACT section 6, one row.
-- Each source is aggregated once (count FILTER) and the one-row results are joined: the same numbers as a
-- scalar subquery per figure, without the join ordering of sixteen subqueries that cost most of every page's
-- query time.
CREATE OR REPLACE MACRO mart_headline(as_of) AS TABLE
WITH cov AS (
    SELECT count(*) FILTER (WHERE in_scope) AS units_in_scope,
           count(*) FILTER (WHERE in_scope AND covered) AS units_covered,
           count(*) FILTER (WHERE is_village) AS villages_total,
           count(*) FILTER (WHERE is_village AND covered) AS villages_covered
    FROM mart_unit_coverage(as_of)
),
p AS (
    SELECT count(*) AS problems_total,
           count(*) FILTER (WHERE rectified) AS problems_rectified,
           count(*) FILTER (WHERE overdue) AS problems_overdue,
           count(*) FILTER (WHERE status_unknown) AS problems_status_unknown
    FROM mart_problems(as_of) WHERE counted
),
l AS (
    SELECT count(*) AS leads_transferred,
           count(*) FILTER (WHERE closed) AS leads_closed,
           count(*) FILTER (WHERE status_unknown) AS leads_status_unknown,
           coalesce(sum(n_disciplined), 0) AS people_disciplined,
           coalesce(sum(n_org_handled), 0) AS people_org_handled
    FROM mart_leads(as_of) WHERE counted
),
c AS (SELECT count(*) AS checklist_items FROM stg_checklist),
t AS (SELECT count(*) AS teams_total, count(*) FILTER (WHERE is_3n) AS teams_3n FROM mart_teams),
final AS (
    SELECT units_in_scope, units_covered, villages_total, villages_covered,
           problems_total, problems_rectified, problems_overdue, problems_status_unknown,
           leads_transferred, leads_closed, leads_status_unknown, people_disciplined, people_org_handled,
           checklist_items, teams_total, teams_3n
    FROM cov, p, l, c, t
)
SELECT *, units_covered / nullif(units_in_scope, 0) AS coverage_rate,
       problems_rectified / nullif(problems_total, 0) AS rectification_rate,
       leads_closed / nullif(leads_transferred, 0) AS lead_closure_rate
FROM final;
