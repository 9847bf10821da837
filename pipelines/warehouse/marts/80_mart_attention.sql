-- What the brief and the coverage page list as needing attention, grouped here so the notebooks only read.

-- Units with problems past their deadline and not rectified: how many, and the earliest deadline.
CREATE OR REPLACE MACRO mart_overdue_by_unit(as_of) AS TABLE
WITH p AS (SELECT * FROM mart_problems(as_of) WHERE overdue),
final AS (SELECT unit_name, count(*) AS n, min(deadline) AS earliest, county FROM p GROUP BY county, unit_name)
SELECT * FROM final ORDER BY n DESC, earliest, unit_name, county;

-- Leads transferred more than `days` days before as_of and still open, per round and unit (no names).
CREATE OR REPLACE MACRO mart_leads_open_long(as_of, days) AS TABLE
WITH l AS (SELECT * FROM mart_leads(as_of) WHERE counted AND NOT closed AND days_open > days),
final AS (SELECT round_name, unit_name, count(*) AS n, max(days_open) AS max_days, county FROM l GROUP BY ALL)
SELECT * FROM final ORDER BY max_days DESC, round_name, unit_name, county;

-- Villages and communities per township: how many, and how many a county round reached.
CREATE OR REPLACE MACRO mart_villages_by_township(as_of) AS TABLE
WITH v AS (SELECT * FROM mart_unit_coverage(as_of) WHERE is_village),
final AS (SELECT coalesce(parent, '未填') AS township, count(*) AS total, count(*) FILTER (WHERE covered) AS covered,
                 county
          FROM v GROUP BY ALL)
SELECT * FROM final ORDER BY township, county;
