-- Intermediate layer: one row per register entry (first occurrence wins; duplicates are
-- reported by validation), and inspections with the round's dates as defaults. Every join is within one county
-- (the county column: 县财政局 of one county is not 县财政局 of another; one county's warehouse has one value).
-- Tables, not views: almost every mart reads them, and computing them (window functions over the registers)
-- in each query cost more than the rest of a report page's query. They are made here from the staging
-- tables only, when the warehouse is built (and again when one county's rows are replaced).
CREATE OR REPLACE TABLE int_units AS
WITH units AS (SELECT * FROM stg_units),
final AS (
    SELECT county, unit_name, unit_type, parent, in_scope, aliases, src_file, src_sheet, src_row
    FROM units
    QUALIFY row_number() OVER (PARTITION BY county, unit_name ORDER BY src_file, src_sheet, src_row) = 1
)
SELECT * FROM final;

CREATE OR REPLACE TABLE int_rounds AS
WITH rounds AS (SELECT * FROM stg_rounds),
final AS (
    -- no level written: a county round; a level written that the vocabulary does not know (州委? 省委?) stays
    -- unknown, so the round is never counted as the county's own (validation reports the word)
    SELECT county, round_name, round_kind, CASE WHEN level IS NULL AND level_raw IS NULL THEN 'county' ELSE level END AS level,
           topic, start_date, end_date, feedback_date,
           src_file, src_sheet, src_row
    FROM rounds
    QUALIFY row_number() OVER (PARTITION BY county, round_name ORDER BY src_file, src_sheet, src_row) = 1
)
SELECT * FROM final;

CREATE OR REPLACE TABLE int_inspections AS
WITH inspections AS (SELECT * FROM stg_inspections),
rounds AS (SELECT * FROM int_rounds),
final AS (
    SELECT i.county, i.round_name, i.unit_name, i."group",
           coalesce(i.start_date, r.start_date) AS start_date,
           coalesce(i.end_date, r.end_date) AS end_date,
           coalesce(i.feedback_date, r.feedback_date) AS feedback_date,
           i.src_file, i.src_sheet, i.src_row
    FROM inspections i LEFT JOIN rounds r USING (county, round_name)
)
SELECT * FROM final;
