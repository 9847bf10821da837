-- Problems fed back, as of a date: counted, rectified, overdue; with round and unit attributes.
CREATE OR REPLACE MACRO mart_problems(as_of) AS TABLE
WITH problems AS (SELECT * FROM stg_problems),
rounds AS (SELECT * FROM mart_rounds(as_of)),
units AS (SELECT county, unit_name, unit_type FROM int_units),
joined AS (
    SELECT p.*, r.round_kind, r.level, r.feedback_date, r.start_date AS round_start, r.fed_back, u.unit_type
    FROM problems p LEFT JOIN rounds r USING (county, round_name) LEFT JOIN units u USING (county, unit_name)
),
final AS (
    SELECT county, round_name, unit_name, unit_type, problem_no, coalesce(category, 'other') AS category, category_raw,
           checklist_item, description, measures, responsible_unit, deadline, deadline_text, status,
           status_raw, status_source, rectified_date, transferred_to, round_kind, level, feedback_date, round_start,
           coalesce(fed_back, true) AS counted,
           -- status that could not be read (or is written nowhere): counted apart, never in a numerator
           coalesce(fed_back, true) AND status IS NULL AS status_unknown,
           coalesce(fed_back, true) AND status = 'rectified' AND (rectified_date IS NULL OR rectified_date <= as_of)
               AS rectified,
           coalesce(fed_back, true) AND status IN ('in_progress', 'not_started') AND deadline IS NOT NULL
               AND deadline < as_of AS overdue,
           CASE WHEN rectified_date IS NOT NULL AND feedback_date IS NOT NULL
                THEN date_diff('day', feedback_date, rectified_date) END AS days_to_rectify,
           src_file, src_sheet, src_row
    FROM joined
)
SELECT * FROM final;
