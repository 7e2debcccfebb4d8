-- Every year's link of the balance chain up to the report's year: contributions, costs (the
-- outcome) and the carry-over to the next year. For the trend charts and the key figures.
SELECT b.year,
       b.contributions_sek,
       b.costs_sek,
       b.closing_sek
FROM balance b
WHERE b.tenant = :tenant
  AND b.year <= :year
ORDER BY b.year
