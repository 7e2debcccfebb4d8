-- Each municipality that contributes for the year: its population, its contribution and how many
-- took part from it (registrations with status 'deltog' whose organisation is the municipality).
SELECT c.municipality_code,
       m.municipality_name,
       c.population,
       c.amount_sek,
       COALESCE(p.participants, 0) AS participants
FROM contribution c
LEFT JOIN (
    SELECT municipality_code, MAX(municipality_name) AS municipality_name
    FROM member
    WHERE tenant = :tenant
    GROUP BY municipality_code
) m ON m.municipality_code = c.municipality_code
LEFT JOIN (
    SELECT r.org_code, COUNT(*) AS participants
    FROM registration r
    JOIN activity a
      ON a.tenant = r.tenant
     AND a.year = r.year
     AND a.activity_code = r.activity_code
     AND LOWER(a.section) IN ('aktiviteter', 'nätverk')   -- the report's activities
    WHERE r.tenant = :tenant
      AND r.year = :year
      AND r.status = 'deltog'
    GROUP BY r.org_code
) p ON p.org_code = c.municipality_code
WHERE c.tenant = :tenant
  AND c.year = :year
ORDER BY c.municipality_code
