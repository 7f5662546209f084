-- Signals for follow-up, last step — the rows of mart.review_signal (docs/analytics.md §2): one per project,
-- review year, signal and piece of evidence; evidence is a JSON object of the numbers, rows and other
-- projects involved, text_zh / text_en say the same in words.
CREATE OR REPLACE TEMP TABLE signal_rows AS
SELECT project_id, CAST(review_year AS INTEGER) AS review_year, signal, CAST(evidence AS VARCHAR) AS evidence, text_zh, text_en
FROM (
    SELECT project_id, review_year, signal, evidence, text_zh, text_en FROM signal_year_end_rush
    UNION ALL
    SELECT project_id, review_year, signal, evidence, text_zh, text_en FROM signal_duplicate_evidence
    UNION ALL
    SELECT project_id, review_year, signal, evidence, text_zh, text_en FROM signal_copied_summary
    UNION ALL
    SELECT project_id, review_year, signal, evidence, text_zh, text_en FROM signal_expert_disagreement
    UNION ALL
    SELECT project_id, review_year, signal, evidence, text_zh, text_en FROM signal_paid_no_progress
    UNION ALL
    SELECT project_id, review_year, signal, evidence, text_zh, text_en FROM signal_undertaker_cluster
);
