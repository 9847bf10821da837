-- The supervision (督办) list as of a date: every counted problem not rectified by then, with what a
-- unit needs to act on it. Overdue is mart_problems' own flag (a date deadline passed while in progress
-- or not started); long-term items (status 长期坚持, or a 长期坚持-type deadline with no date) form their
-- own group and are never overdue.
CREATE OR REPLACE MACRO mart_supervision(as_of) AS TABLE
WITH problems AS (SELECT * FROM mart_problems(as_of) WHERE counted AND NOT rectified),
staged AS (SELECT src_file, src_sheet, src_row, responsible_person, responsible_leader, status_raw FROM stg_problems),
joined AS (
    SELECT p.*, s.responsible_person, s.responsible_leader, s.status_raw
    FROM problems p JOIN staged s USING (src_file, src_sheet, src_row)
),
final AS (
    SELECT county, unit_name, unit_type, round_name, round_start, problem_no, category, description, measures,
           responsible_unit, responsible_leader, responsible_person, deadline, deadline_text, status, status_raw,
           rectified_date, overdue,
           CASE WHEN overdue THEN date_diff('day', deadline, as_of) END AS days_overdue,
           NOT overdue AND (status = 'long_term'
                            OR (deadline IS NULL AND coalesce(deadline_text, '') SIMILAR TO '.*(长期|持续|常态).*'))
               AS long_term,
           src_file, src_sheet, src_row
    FROM joined
)
SELECT * FROM final;

-- Per unit: how many problems are open, overdue and long-term as of the date (the 督办清单 summary).
CREATE OR REPLACE MACRO mart_supervision_units(as_of) AS TABLE
WITH s AS (SELECT * FROM mart_supervision(as_of)),
final AS (
    SELECT county, unit_name, any_value(unit_type) AS unit_type, count(*) AS n_open,
           count(*) FILTER (WHERE overdue) AS n_overdue,
           count(*) FILTER (WHERE long_term) AS n_long_term,
           max(days_overdue) AS max_days_overdue
    FROM s GROUP BY county, unit_name
)
SELECT * FROM final ORDER BY n_overdue DESC, n_open DESC, unit_name, county;
