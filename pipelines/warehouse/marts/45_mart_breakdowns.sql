-- Rectification broken down by round, category, unit, unit type and receiving department (one row per
-- dimension value), so the reports read figures instead of computing them.
CREATE OR REPLACE MACRO mart_rectification_breakdown(as_of, round_filter := NULL, unit_type_filter := NULL) AS TABLE
WITH p AS (
    SELECT * FROM mart_problems(as_of)
    WHERE counted AND (round_filter IS NULL OR round_name = round_filter)
      AND (unit_type_filter IS NULL OR unit_type = unit_type_filter)
),
grouped AS (
    SELECT CASE WHEN GROUPING(round_name) = 0 THEN 'round'
                WHEN GROUPING(category) = 0 THEN 'category'
                WHEN GROUPING(unit_name) = 0 THEN 'unit'
                WHEN GROUPING(unit_type) = 0 THEN 'unit_type'
                ELSE 'transferred_to' END AS dimension,
           coalesce(round_name, category, unit_name, unit_type, transferred_to) AS key,
           any_value(unit_type) AS unit_type_of_key,
           min(round_start) AS round_start,
           count(*) AS total, count(*) FILTER (WHERE rectified) AS rectified,
           count(*) FILTER (WHERE overdue) AS overdue
    FROM p
    GROUP BY GROUPING SETS ((round_name), (category), (unit_name), (unit_type), (transferred_to))
),
final AS (
    SELECT dimension, key, unit_type_of_key, round_start, total, rectified, overdue, rectified / total AS rate
    FROM grouped WHERE key IS NOT NULL
)
SELECT * FROM final ORDER BY dimension, round_start NULLS LAST, total DESC, key;

-- Leads broken down by round (with people handled), disposal and receiving unit.
CREATE OR REPLACE MACRO mart_leads_breakdown(as_of, round_filter := NULL, unit_type_filter := NULL) AS TABLE
WITH l AS (
    SELECT * FROM mart_leads(as_of)
    WHERE counted AND (round_filter IS NULL OR round_name = round_filter)
      AND (unit_type_filter IS NULL OR unit_type = unit_type_filter)
),
grouped AS (
    SELECT CASE WHEN GROUPING(round_name) = 0 THEN 'round'
                WHEN GROUPING(disposal) = 0 THEN 'disposal'
                ELSE 'transferred_to' END AS dimension,
           coalesce(round_name, disposal, transferred_to) AS key,
           min(round_start) AS round_start,
           count(*) AS transferred, count(*) FILTER (WHERE closed) AS closed,
           sum(n_disciplined) AS n_disciplined, sum(n_org_handled) AS n_org_handled
    FROM l
    GROUP BY GROUPING SETS ((round_name), (disposal), (transferred_to))
),
final AS (
    SELECT dimension, coalesce(key, '未填') AS key, round_start, transferred, closed, n_disciplined, n_org_handled,
           closed / transferred AS closure_rate
    FROM grouped
)
SELECT * FROM final ORDER BY dimension, round_start NULLS LAST, transferred DESC, key;
