-- Quarantined (rejected) rows of the year's files per source and reason. Files that a corrected
-- file replaced are left out.
SELECT q.source,
       q.reason_sv,
       COUNT(*) AS rows_quarantined
FROM quarantined_row q
JOIN ingested_file f ON f.id = q.file_id
WHERE q.tenant = :tenant
  AND f.year = :year
  AND f.status <> 'replaced'
GROUP BY q.source, q.reason_sv
ORDER BY q.source, COUNT(*) DESC, q.reason_sv
