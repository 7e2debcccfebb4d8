-- Every year's action plan up to the report's year: the municipalities' budget and the external
-- budget, summed over its activities. For the key figures of the year before ("Budget"; the year's
-- own come from budget_vs_outcome).
SELECT a.year,
       SUM(a.municipal_budget_sek) AS municipal_budget_sek,
       SUM(COALESCE(a.external_budget_sek, 0)) AS external_budget_sek
FROM activity a
WHERE a.tenant = :tenant
  AND a.year <= :year
GROUP BY a.year
ORDER BY a.year
