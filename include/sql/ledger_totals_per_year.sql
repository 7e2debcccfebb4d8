-- Costs and external income per year from the ledger: the outcome (utfall) side of the balance chain.
-- Costs are booked positive on cost accounts; external income negative on income accounts.
SELECT year,
       SUM(CASE WHEN account BETWEEN :cost_from AND :cost_to THEN amount_sek ELSE 0 END) AS costs_sek,
       -SUM(CASE WHEN account BETWEEN :income_from AND :income_to THEN amount_sek ELSE 0 END) AS external_income_sek
FROM ledger_line
WHERE tenant = :tenant AND year <= :year
GROUP BY year
ORDER BY year
