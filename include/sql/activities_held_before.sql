-- The activities of the action plans before the year before the report's year, by name (codes
-- carry the year), with the last such year: an activity of the year that was not held the year
-- before but earlier (a biennial) is "held again", not "new".
SELECT a.activity_name,
       MAX(a.year) AS last_year
FROM activity a
WHERE a.tenant = :tenant
  AND a.year < :year - 1
GROUP BY a.activity_name
ORDER BY a.activity_name
