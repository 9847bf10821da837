-- Every registered unit: in scope or not, and whether a started county round inspected it.
CREATE OR REPLACE MACRO mart_unit_coverage(as_of) AS TABLE
WITH units AS (SELECT * FROM int_units),
rounds AS (SELECT * FROM mart_rounds(as_of) WHERE is_county AND started),
visits AS (
    SELECT i.county, i.unit_name, count(DISTINCT i.round_name) AS n_rounds, min(r.start_date) AS first_start,
           max(r.start_date) AS last_start, arg_max(i.round_name, r.start_date) AS last_round
    FROM int_inspections i JOIN rounds r USING (county, round_name)
    GROUP BY ALL
),
final AS (
    SELECT u.county, u.unit_name, u.unit_type, u.parent, u.in_scope,
           u.unit_type IN ('village', 'community') AS is_village,
           coalesce(v.n_rounds, 0) AS n_rounds, v.first_start, v.last_start, v.last_round,
           v.unit_name IS NOT NULL AS covered
    FROM units u LEFT JOIN visits v USING (county, unit_name)
)
SELECT * FROM final;

-- Coverage by unit type.
CREATE OR REPLACE MACRO mart_coverage_by_type(as_of) AS TABLE
WITH cov AS (SELECT * FROM mart_unit_coverage(as_of)),
final AS (
    SELECT unit_type, count(*) FILTER (WHERE in_scope) AS in_scope,
           count(*) FILTER (WHERE in_scope AND covered) AS covered,
           count(*) FILTER (WHERE in_scope AND covered) / nullif(count(*) FILTER (WHERE in_scope), 0) AS rate,
           count(*) AS registered, count(*) FILTER (WHERE covered) AS inspected
    FROM cov GROUP BY unit_type
)
SELECT * FROM final ORDER BY in_scope DESC;

-- Cumulative coverage after each started county round, in start order.
CREATE OR REPLACE MACRO mart_coverage_by_round(as_of) AS TABLE
WITH rounds AS (SELECT * FROM mart_rounds(as_of) WHERE is_county AND started),
scope AS (SELECT county, unit_name FROM int_units WHERE in_scope),
firsts AS (
    SELECT i.county, i.unit_name, min(r.start_date) AS first_start
    FROM int_inspections i JOIN rounds r USING (county, round_name) JOIN scope USING (county, unit_name)
    GROUP BY ALL
),
per_round AS (
    SELECT r.county, r.round_name, r.round_kind, r.start_date,
           (SELECT count(*) FROM int_inspections i JOIN scope USING (county, unit_name)
            WHERE i.round_name = r.round_name AND i.county IS NOT DISTINCT FROM r.county) AS inspected_in_scope,
           (SELECT count(*) FROM firsts f WHERE f.first_start <= r.start_date
            AND f.county IS NOT DISTINCT FROM r.county) AS covered_cum
    FROM rounds r
),
final AS (
    SELECT *, covered_cum / nullif((SELECT count(*) FROM scope s WHERE s.county IS NOT DISTINCT FROM per_round.county), 0)
        AS coverage_cum FROM per_round
)
SELECT * FROM final ORDER BY start_date NULLS FIRST, round_name;
