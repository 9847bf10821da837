-- The scalar headline metrics of DATA_CONTRACT section 6: one row per county (mart_headline_by_county), and
-- one row for the warehouse (mart_headline: the counties' counts summed, rates from the sums). Each source is
-- aggregated once (count FILTER ... GROUP BY county) and the results joined on the county: the same numbers as
-- a scalar subquery per figure (tests/test_counties.py holds them equal), without the join ordering of sixteen
-- subqueries that cost most of every page's query time, and a region's counties in one query.
CREATE OR REPLACE MACRO mart_headline_by_county(as_of) AS TABLE
WITH cov AS (
    SELECT county, count(*) FILTER (WHERE in_scope) AS units_in_scope,
           count(*) FILTER (WHERE in_scope AND covered) AS units_covered,
           count(*) FILTER (WHERE is_village) AS villages_total,
           count(*) FILTER (WHERE is_village AND covered) AS villages_covered
    FROM mart_unit_coverage(as_of) GROUP BY county
),
p AS (
    SELECT county, count(*) AS problems_total,
           count(*) FILTER (WHERE rectified) AS problems_rectified,
           count(*) FILTER (WHERE overdue) AS problems_overdue,
           count(*) FILTER (WHERE status_unknown) AS problems_status_unknown
    FROM mart_problems(as_of) WHERE counted GROUP BY county
),
l AS (
    SELECT county, count(*) AS leads_transferred,
           count(*) FILTER (WHERE closed) AS leads_closed,
           count(*) FILTER (WHERE status_unknown) AS leads_status_unknown,
           sum(n_disciplined) AS people_disciplined,
           sum(n_org_handled) AS people_org_handled
    FROM mart_leads(as_of) WHERE counted GROUP BY county
),
c AS (SELECT county, count(*) AS checklist_items FROM stg_checklist GROUP BY county),
-- teams_3n unknown when a team's members lack the 专业 that would decide it (is_3n NULL): counting only the
-- decided teams would say the others are short
t AS (SELECT county, count(*) AS teams_total,
             CASE WHEN count(is_3n) = count(*) THEN count(*) FILTER (WHERE is_3n) END AS teams_3n
      FROM mart_teams GROUP BY county),
counties AS (
    SELECT county FROM cov UNION SELECT county FROM p UNION SELECT county FROM l
    UNION SELECT county FROM c UNION SELECT county FROM t
),
final AS (
    SELECT k.county,
           coalesce(cov.units_in_scope, 0) AS units_in_scope, coalesce(cov.units_covered, 0) AS units_covered,
           coalesce(cov.villages_total, 0) AS villages_total, coalesce(cov.villages_covered, 0) AS villages_covered,
           coalesce(p.problems_total, 0) AS problems_total, coalesce(p.problems_rectified, 0) AS problems_rectified,
           coalesce(p.problems_overdue, 0) AS problems_overdue,
           coalesce(p.problems_status_unknown, 0) AS problems_status_unknown,
           coalesce(l.leads_transferred, 0) AS leads_transferred, coalesce(l.leads_closed, 0) AS leads_closed,
           coalesce(l.leads_status_unknown, 0) AS leads_status_unknown,
           -- leads but no count written in any of them (the ledger has no 处分人数 column, or left it blank):
           -- unknown, not 0 people
           CASE WHEN coalesce(l.leads_transferred, 0) = 0 THEN 0 ELSE l.people_disciplined END AS people_disciplined,
           CASE WHEN coalesce(l.leads_transferred, 0) = 0 THEN 0 ELSE l.people_org_handled END AS people_org_handled,
           coalesce(c.checklist_items, 0) AS checklist_items,
           coalesce(t.teams_total, 0) AS teams_total,
           CASE WHEN coalesce(t.teams_total, 0) = 0 THEN 0 ELSE t.teams_3n END AS teams_3n
    FROM counties k
    LEFT JOIN cov ON cov.county IS NOT DISTINCT FROM k.county
    LEFT JOIN p ON p.county IS NOT DISTINCT FROM k.county
    LEFT JOIN l ON l.county IS NOT DISTINCT FROM k.county
    LEFT JOIN c ON c.county IS NOT DISTINCT FROM k.county
    LEFT JOIN t ON t.county IS NOT DISTINCT FROM k.county
)
SELECT *, units_covered / nullif(units_in_scope, 0) AS coverage_rate,
       problems_rectified / nullif(problems_total, 0) AS rectification_rate,
       leads_closed / nullif(leads_transferred, 0) AS lead_closure_rate
FROM final ORDER BY county;

CREATE OR REPLACE MACRO mart_headline(as_of) AS TABLE
WITH b AS (SELECT * FROM mart_headline_by_county(as_of)),
final AS (
    SELECT CAST(coalesce(sum(units_in_scope), 0) AS BIGINT) AS units_in_scope,
           CAST(coalesce(sum(units_covered), 0) AS BIGINT) AS units_covered,
           CAST(coalesce(sum(villages_total), 0) AS BIGINT) AS villages_total,
           CAST(coalesce(sum(villages_covered), 0) AS BIGINT) AS villages_covered,
           CAST(coalesce(sum(problems_total), 0) AS BIGINT) AS problems_total,
           CAST(coalesce(sum(problems_rectified), 0) AS BIGINT) AS problems_rectified,
           CAST(coalesce(sum(problems_overdue), 0) AS BIGINT) AS problems_overdue,
           CAST(coalesce(sum(problems_status_unknown), 0) AS BIGINT) AS problems_status_unknown,
           CAST(coalesce(sum(leads_transferred), 0) AS BIGINT) AS leads_transferred,
           CAST(coalesce(sum(leads_closed), 0) AS BIGINT) AS leads_closed,
           CAST(coalesce(sum(leads_status_unknown), 0) AS BIGINT) AS leads_status_unknown,
           -- unknown when no county with leads wrote a count; else the counts written
           CASE WHEN count(people_disciplined) FILTER (WHERE leads_transferred > 0) = 0 AND sum(leads_transferred) > 0
                THEN NULL ELSE coalesce(sum(people_disciplined), 0) END AS people_disciplined,
           CASE WHEN count(people_org_handled) FILTER (WHERE leads_transferred > 0) = 0 AND sum(leads_transferred) > 0
                THEN NULL ELSE coalesce(sum(people_org_handled), 0) END AS people_org_handled,
           CAST(coalesce(sum(checklist_items), 0) AS BIGINT) AS checklist_items,
           CAST(coalesce(sum(teams_total), 0) AS BIGINT) AS teams_total,
           CASE WHEN count(teams_3n) FILTER (WHERE teams_total > 0) = 0 AND sum(teams_total) > 0 THEN NULL
                ELSE CAST(coalesce(sum(teams_3n), 0) AS BIGINT) END AS teams_3n
    FROM b
)
SELECT *, units_covered / nullif(units_in_scope, 0) AS coverage_rate,
       problems_rectified / nullif(problems_total, 0) AS rectification_rate,
       leads_closed / nullif(leads_transferred, 0) AS lead_closure_rate
FROM final;
