-- Every year in the warehouse up to the report's year: the people who took part in the report's
-- activities (the action plan's sections Aktiviteter and Nätverk) (status 'deltog'),
-- each person once, and the participations (one per person and activity). For the trend charts.
SELECT r.year,
       COUNT(DISTINCT r.person_key) AS people,
       COUNT(*) AS participations
FROM registration r
JOIN activity a
  ON a.tenant = r.tenant
 AND a.year = r.year
 AND a.activity_code = r.activity_code
 AND LOWER(a.section) IN ('aktiviteter', 'nätverk')   -- the report's activities (report/compose.py)
WHERE r.tenant = :tenant
  AND r.year <= :year
  AND r.status = 'deltog'
GROUP BY r.year
ORDER BY r.year
