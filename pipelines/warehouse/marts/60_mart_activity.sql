-- Meetings as of a date, with canonical type.
CREATE OR REPLACE MACRO mart_meetings(as_of) AS TABLE
WITH m AS (SELECT * FROM stg_meetings),
final AS (
    SELECT county, meeting_date, coalesce(meeting_type, 'other') AS meeting_type, meeting_type_raw, topic
    FROM m WHERE meeting_date <= as_of
)
SELECT * FROM final ORDER BY meeting_date;

-- Inspection groups and the "3+N" composition rule (纪检 + 党务/组织 + 财务/审计). is_3n is NULL (unknown)
-- when a member whose 专业 is not written (or not read) could be the one the group lacks: a group of 纪检,
-- 财务 and one blank is not "short of 党务".
CREATE OR REPLACE VIEW mart_teams AS
WITH t AS (SELECT * FROM stg_team),
g AS (
    SELECT county, round_name, "group", count(*) AS n_members,
           count(*) FILTER (WHERE specialty IS NULL) AS n_specialty_unknown,
           coalesce(bool_or(specialty = 'discipline'), false) AS has_discipline,
           coalesce(bool_or(specialty = 'party'), false) AS has_party,
           coalesce(bool_or(specialty IN ('finance', 'audit')), false) AS has_finance,
           min(src_file) AS src_file, min(src_sheet) AS src_sheet, min(src_row) AS src_row
    FROM t GROUP BY county, round_name, "group"
),
final AS (
    SELECT county, round_name, "group", n_members, n_specialty_unknown, has_discipline, has_party, has_finance,
           CASE WHEN has_discipline AND has_party AND has_finance THEN true
                WHEN n_specialty_unknown > 0 THEN NULL ELSE false END AS is_3n,
           src_file, src_sheet, src_row
    FROM g
)
SELECT * FROM final ORDER BY round_name, "group", county;
