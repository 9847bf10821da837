-- The scalar headline metrics of DATA_CONTRACT section 6, one row.
CREATE OR REPLACE MACRO mart_headline(as_of) AS TABLE
WITH cov AS (SELECT * FROM mart_unit_coverage(as_of)),
p AS (SELECT * FROM mart_problems(as_of) WHERE counted),
l AS (SELECT * FROM mart_leads(as_of) WHERE counted),
final AS (
    SELECT
        (SELECT count(*) FROM cov WHERE in_scope) AS units_in_scope,
        (SELECT count(*) FROM cov WHERE in_scope AND covered) AS units_covered,
        (SELECT count(*) FROM cov WHERE is_village) AS villages_total,
        (SELECT count(*) FROM cov WHERE is_village AND covered) AS villages_covered,
        (SELECT count(*) FROM p) AS problems_total,
        (SELECT count(*) FROM p WHERE rectified) AS problems_rectified,
        (SELECT count(*) FROM p WHERE overdue) AS problems_overdue,
        (SELECT count(*) FROM p WHERE status_unknown) AS problems_status_unknown,
        (SELECT count(*) FROM l) AS leads_transferred,
        (SELECT count(*) FROM l WHERE closed) AS leads_closed,
        (SELECT count(*) FROM l WHERE status_unknown) AS leads_status_unknown,
        (SELECT coalesce(sum(n_disciplined), 0) FROM l) AS people_disciplined,
        (SELECT coalesce(sum(n_org_handled), 0) FROM l) AS people_org_handled,
        (SELECT count(*) FROM stg_checklist) AS checklist_items,
        (SELECT count(*) FROM mart_teams) AS teams_total,
        (SELECT count(*) FROM mart_teams WHERE is_3n) AS teams_3n
)
SELECT *, units_covered / nullif(units_in_scope, 0) AS coverage_rate,
       problems_rectified / nullif(problems_total, 0) AS rectification_rate,
       leads_closed / nullif(leads_transferred, 0) AS lead_closure_rate
FROM final;
