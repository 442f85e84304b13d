-- qgate's own tables hold a module id of any length. VARCHAR(20) is the
-- checkout system's limit (module_checkouts, module_dependencies), which qgate
-- checks where it reads the configuration; copied into qgate's tables it only
-- turned a longer id into a failed write at the end of every run.
-- VARCHAR to TEXT rewrites neither the tables nor their indexes.
ALTER TABLE qgate_runs ALTER COLUMN module_id TYPE TEXT;
ALTER TABLE qgate_findings ALTER COLUMN module_id TYPE TEXT;
ALTER TABLE qgate_metrics ALTER COLUMN module_id TYPE TEXT;
ALTER TABLE qgate_run_queue ALTER COLUMN module_id TYPE TEXT;
