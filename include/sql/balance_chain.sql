-- The balance chain of the year and of the year before: opening (carried over), contributions,
-- external income, costs and closing (carried over to the next year).
SELECT b.year,
       b.opening_sek,
       b.contributions_sek,
       b.external_income_sek,
       b.costs_sek,
       b.closing_sek
FROM balance b
WHERE b.tenant = :tenant
  AND b.year IN (:year - 1, :year)
ORDER BY b.year
