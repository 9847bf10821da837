-- The quality page's summaries of the ingest itself (files, held rows, rows per kind).

-- One row: files by outcome and source rows by fate.
CREATE OR REPLACE MACRO mart_ingest_totals() AS TABLE
SELECT count(*) FILTER (WHERE status = 'ingested') AS files_ingested,
       count(*) FILTER (WHERE status = 'duplicate') AS files_duplicate,
       count(*) FILTER (WHERE status = 'failed') AS files_failed,
       count(*) FILTER (WHERE status = 'ignored') AS files_ignored,
       coalesce(sum(rows_read), 0) AS rows_read, coalesce(sum(rows_loaded), 0) AS rows_loaded,
       coalesce(sum(rows_quarantined), 0) AS rows_quarantined, coalesce(sum(rows_skipped), 0) AS rows_skipped
FROM files;

-- Held rows per ledger kind and reason.
CREATE OR REPLACE MACRO mart_quarantine_summary() AS TABLE
SELECT kind, reason_code, count(*) AS n FROM quarantine GROUP BY ALL ORDER BY n DESC, kind, reason_code;

-- Data rows per ledger kind: loaded and held.
CREATE OR REPLACE MACRO mart_rows_by_kind() AS TABLE
SELECT kind, count(*) FILTER (WHERE outcome = 'loaded') AS loaded, count(*) FILTER (WHERE outcome = 'quarantined') AS quarantined
FROM raw_rows WHERE row_class = 'data' GROUP BY 1 ORDER BY 1;
