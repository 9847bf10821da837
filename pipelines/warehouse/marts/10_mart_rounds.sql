-- Rounds as of a date: county/city, started, fed back, and their detail counts.
CREATE OR REPLACE MACRO mart_rounds(as_of) AS TABLE
WITH rounds AS (SELECT * FROM int_rounds),
inspections AS (SELECT county, round_name, count(DISTINCT unit_name) AS n_units FROM int_inspections GROUP BY ALL),
final AS (
    SELECT r.county, r.round_name, r.round_kind, r.level, r.topic, r.start_date, r.end_date, r.feedback_date,
           r.level = 'county' AS is_county,
           (r.start_date IS NULL OR r.start_date <= as_of) AS started,
           (r.feedback_date IS NULL OR r.feedback_date <= as_of) AS fed_back,
           coalesce(i.n_units, 0) AS n_units
    FROM rounds r LEFT JOIN inspections i USING (county, round_name)
)
SELECT * FROM final ORDER BY start_date NULLS LAST, round_name, county;
