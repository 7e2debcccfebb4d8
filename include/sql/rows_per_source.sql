-- Files and rows read, loaded and quarantined per source for the year (replaced files left out).
{% from "_macros.sql" import tenant_year %}
SELECT f.source,
       COUNT(*) AS files,
       SUM(f.rows_in) AS rows_in,
       SUM(f.rows_loaded) AS rows_loaded,
       SUM(f.rows_quarantined) AS rows_quarantined
FROM ingested_file f
WHERE {{ tenant_year("f") }}
  AND f.status <> 'replaced'
GROUP BY f.source
ORDER BY f.source
