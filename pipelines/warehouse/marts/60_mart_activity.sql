-- Meetings as of a date, with canonical type.
CREATE OR REPLACE MACRO mart_meetings(as_of) AS TABLE
WITH m AS (SELECT * FROM stg_meetings),
final AS (
    SELECT county, meeting_date, coalesce(meeting_type, 'other') AS meeting_type, meeting_type_raw, topic
    FROM m WHERE meeting_date <= as_of
)
SELECT * FROM final ORDER BY meeting_date;

-- Inspection groups and the "3+N" composition rule (纪检 + 党务/组织 + 财务/审计).
CREATE OR REPLACE VIEW mart_teams AS
WITH t AS (SELECT * FROM stg_team),
final AS (
    SELECT county, round_name, "group", count(*) AS n_members,
           bool_or(specialty = 'discipline') AS has_discipline,
           bool_or(specialty = 'party') AS has_party,
           bool_or(specialty IN ('finance', 'audit')) AS has_finance,
           bool_or(specialty = 'discipline') AND bool_or(specialty = 'party')
               AND bool_or(specialty IN ('finance', 'audit')) AS is_3n,
           min(src_file) AS src_file, min(src_sheet) AS src_sheet, min(src_row) AS src_row
    FROM t GROUP BY county, round_name, "group"
)
SELECT * FROM final ORDER BY round_name, "group", county;
