-- Problem leads as of a date. No personal names here: mart_leads_named adds them for the
-- explicitly non-redacted view only.
CREATE OR REPLACE MACRO mart_leads(as_of) AS TABLE
WITH leads AS (SELECT * FROM stg_leads),
rounds AS (SELECT county, round_name, round_kind, level, start_date AS round_start FROM int_rounds),
units AS (SELECT county, unit_name, unit_type FROM int_units),
final AS (
    SELECT l.county, l.lead_no, l.round_name, r.round_kind, r.level, r.round_start, l.unit_name, u.unit_type, l.transferred_to,
           l.transfer_date, l.disposal, l.status, l.status_raw, l.status_source, l.closed_date,
           l.n_disciplined, l.n_org_handled,  -- NULL: not written (the sums say unknown when none is written)
           (l.transfer_date IS NULL OR l.transfer_date <= as_of) AS counted,
           (l.transfer_date IS NULL OR l.transfer_date <= as_of) AND l.status = 'closed'
               AND (l.closed_date IS NULL OR l.closed_date <= as_of) AS closed,
           (l.transfer_date IS NULL OR l.transfer_date <= as_of) AND l.status IS NULL AS status_unknown,
           CASE WHEN l.closed_date IS NOT NULL AND l.transfer_date IS NOT NULL
                THEN date_diff('day', l.transfer_date, l.closed_date) END AS days_to_close,
           CASE WHEN l.transfer_date IS NOT NULL THEN date_diff('day', l.transfer_date, as_of) END AS days_open,
           l.src_file, l.src_sheet, l.src_row
    FROM leads l LEFT JOIN rounds r USING (county, round_name) LEFT JOIN units u USING (county, unit_name)
)
SELECT * FROM final;

CREATE OR REPLACE MACRO mart_leads_named(as_of) AS TABLE
SELECT m.*, l.subject, l.subject_rank, l.summary, l.outcome
FROM mart_leads(as_of) m
JOIN stg_leads l ON l.src_file = m.src_file AND l.src_sheet = m.src_sheet AND l.src_row = m.src_row;
