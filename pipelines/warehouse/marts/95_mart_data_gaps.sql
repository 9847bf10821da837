-- What makes a period's figures unsure, one row: files not read, sheets whose kind awaits the analyst's answer,
-- sheets missing a required column, rows held, statuses that could not be read, and the ledger kinds supplied.
-- Every report page's banner counts these (a figure is either right or visibly uncertain).
-- Each source is aggregated once (count FILTER) and the one-row results joined (as in mart_headline).
CREATE OR REPLACE MACRO mart_data_gaps(as_of) AS TABLE
WITH f AS (SELECT count(*) FILTER (WHERE status = 'failed') AS files_failed FROM files),
s AS (
    SELECT count(*) FILTER (WHERE decision = 'uncertain') AS sheets_uncertain,
           count(*) FILTER (WHERE decision = 'unclassified' AND rows_read > 0) AS sheets_unclassified,
           count(*) FILTER (WHERE decision = 'loaded' AND missing_columns IS NOT NULL) AS sheets_missing_column,
           list(DISTINCT kind ORDER BY kind) FILTER (WHERE decision = 'loaded' AND rows_loaded > 0) AS kinds_supplied
    FROM sheets
),
h AS (
    SELECT count(*) AS rows_held, count(*) FILTER (WHERE kind = 'problems') AS problems_held,
           count(*) FILTER (WHERE kind = 'leads') AS leads_held
    FROM quarantine
),
p AS (SELECT count(*) FILTER (WHERE status IS NULL) AS problems_status_unknown FROM mart_problems(as_of) WHERE counted),
l AS (SELECT count(*) FILTER (WHERE status IS NULL) AS leads_status_unknown FROM mart_leads(as_of) WHERE counted),
final AS (
    SELECT files_failed, sheets_uncertain, sheets_unclassified, sheets_missing_column, rows_held, problems_held,
           leads_held, problems_status_unknown, leads_status_unknown, kinds_supplied
    FROM f, s, h, p, l
)
SELECT * FROM final;
