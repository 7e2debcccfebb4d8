-- People who took part in the report's activities (the action plan's sections Aktiviteter and
-- Nätverk) (status 'deltog') in the year and the year before: each person once however
-- many activities they took part in (person_key is the pseudonym of name and e-mail), and the
-- participations (a person in two activities counts twice). A year without registrations has no row.
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
  AND r.year IN (:year, :year - 1)
  AND r.status = 'deltog'
GROUP BY r.year
ORDER BY r.year
