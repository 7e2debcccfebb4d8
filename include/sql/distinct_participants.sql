-- People who took part (status 'deltog') in the year and the year before: each person once however
-- many activities they took part in (person_key is the pseudonym of name and e-mail), and the
-- participations (a person in two activities counts twice). A year without registrations has no row.
SELECT r.year,
       COUNT(DISTINCT r.person_key) AS people,
       COUNT(*) AS participations
FROM registration r
WHERE r.tenant = :tenant
  AND r.year IN (:year, :year - 1)
  AND r.status = 'deltog'
GROUP BY r.year
ORDER BY r.year
