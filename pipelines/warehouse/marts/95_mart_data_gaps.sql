-- What makes a period's figures unsure, one row: files not read, sheets whose kind awaits the analyst's answer,
-- sheets missing a required column, rows held, statuses that could not be read, and the ledger kinds supplied.
-- Every report page's banner counts these (a figure is either right or visibly uncertain).
CREATE OR REPLACE MACRO mart_data_gaps(as_of) AS TABLE
WITH files_ AS (SELECT * FROM files),
sheets_ AS (SELECT * FROM sheets),
held AS (SELECT * FROM quarantine),
p AS (SELECT * FROM mart_problems(as_of) WHERE counted),
l AS (SELECT * FROM mart_leads(as_of) WHERE counted),
final AS (
    SELECT
        (SELECT count(*) FROM files_ WHERE status = 'failed') AS files_failed,
        (SELECT count(*) FROM sheets_ WHERE decision = 'uncertain') AS sheets_uncertain,
        (SELECT count(*) FROM sheets_ WHERE decision = 'unclassified' AND rows_read > 0) AS sheets_unclassified,
        (SELECT count(*) FROM sheets_ WHERE decision = 'loaded' AND missing_columns IS NOT NULL) AS sheets_missing_column,
        (SELECT count(*) FROM held) AS rows_held,
        (SELECT count(*) FROM held WHERE kind = 'problems') AS problems_held,
        (SELECT count(*) FROM held WHERE kind = 'leads') AS leads_held,
        (SELECT count(*) FROM p WHERE status IS NULL) AS problems_status_unknown,
        (SELECT count(*) FROM l WHERE status IS NULL) AS leads_status_unknown,
        (SELECT list(DISTINCT kind ORDER BY kind) FROM sheets_ WHERE decision = 'loaded' AND rows_loaded > 0)
            AS kinds_supplied
)
SELECT * FROM final;
