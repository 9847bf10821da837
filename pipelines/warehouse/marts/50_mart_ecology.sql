-- Political ecology: each unit's latest assessment whose period has begun by the date.
CREATE OR REPLACE MACRO mart_ecology(as_of) AS TABLE
WITH a AS (SELECT * FROM stg_assessments WHERE period_start IS NULL OR period_start <= as_of),
units AS (SELECT county, unit_name, unit_type FROM int_units),
latest AS (
    SELECT * FROM a
    QUALIFY row_number() OVER (PARTITION BY county, unit_name ORDER BY period_start DESC NULLS LAST, src_row) = 1
),
final AS (
    SELECT l.county, l.unit_name, u.unit_type, l.period, l.period_start, l.total, l.grade_final AS grade, l.grade_raw,
           l.grade_derived, l.n_dimensions, l.src_file, l.src_sheet, l.src_row
    FROM latest l LEFT JOIN units u USING (county, unit_name)
)
SELECT * FROM final ORDER BY total DESC NULLS LAST;

CREATE OR REPLACE MACRO mart_ecology_scores(as_of) AS TABLE
WITH latest AS (SELECT county, unit_name, unit_type, period FROM mart_ecology(as_of)),
final AS (
    SELECT l.county, l.unit_name, l.unit_type, l.period, s.dimension, s.score
    FROM latest l JOIN stg_assessment_scores s USING (county, unit_name, period)
)
SELECT * FROM final;
