-- Each member municipality's contribution (kommunbidrag) for the year, with its name.
SELECT c.municipality_code,
       m.municipality_name,
       c.population,
       c.rate_sek,
       c.months,
       c.amount_sek
FROM contribution c
LEFT JOIN (
    SELECT municipality_code, MAX(municipality_name) AS municipality_name
    FROM member
    WHERE tenant = :tenant
    GROUP BY municipality_code
) m ON m.municipality_code = c.municipality_code
WHERE c.tenant = :tenant
  AND c.year = :year
ORDER BY c.municipality_code
