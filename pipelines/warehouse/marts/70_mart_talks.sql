-- Leaders' talks with the heads of units behind on rectification (约谈台账), as of a date: one row per talk,
-- numbered per unit, with the unit's problems still open at that date. No personal names here (the leader
-- and the person talked to are `personal:` columns of the contract and stay in stg_talks).
CREATE OR REPLACE MACRO mart_talks(as_of) AS TABLE
WITH talks AS (SELECT * FROM stg_talks WHERE talk_date IS NULL OR talk_date <= as_of),
units AS (SELECT county, unit_name, unit_type FROM int_units),
rounds AS (SELECT county, round_name, round_kind, level FROM int_rounds),
open_problems AS (
    SELECT county, unit_name, round_name, count(*) FILTER (WHERE NOT rectified) AS open_problems,
           count(*) FILTER (WHERE overdue) AS overdue_problems
    FROM mart_problems(as_of) WHERE counted GROUP BY ALL
),
numbered AS (
    SELECT t.*, row_number() OVER (PARTITION BY t.county, t.unit_name ORDER BY t.talk_date, t.src_file, t.src_row) AS talk_no,
           count(*) OVER (PARTITION BY t.county, t.unit_name) AS talks_of_unit
    FROM talks t
),
final AS (
    SELECT n.county, n.talk_date, date_trunc('month', n.talk_date) AS talk_month, n.unit_name, u.unit_type, n.round_name,
           r.round_kind, r.level, n.talk_round, n.reason, n.follow_up, n.talk_no, n.talks_of_unit,
           n.talk_no = n.talks_of_unit AS latest,
           coalesce(n.follow_up, '') <> 'done' AS not_settled,
           CAST(coalesce(sum(o.open_problems), 0) AS BIGINT) AS open_problems,
           CAST(coalesce(sum(o.overdue_problems), 0) AS BIGINT) AS overdue_problems,
           n.src_file, n.src_sheet, n.src_row
    FROM numbered n
    LEFT JOIN units u USING (county, unit_name)
    LEFT JOIN rounds r USING (county, round_name)
    LEFT JOIN open_problems o ON o.county IS NOT DISTINCT FROM n.county AND o.unit_name = n.unit_name AND (n.round_name IS NULL OR o.round_name = n.round_name)
    GROUP BY ALL
)
SELECT * FROM final;
