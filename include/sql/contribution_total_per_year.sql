-- Contributions (kommunbidrag) per year: the sum of the per-municipality rows.
SELECT year, SUM(amount_sek) AS contributions_sek, COUNT(*) AS municipalities
FROM contribution
WHERE tenant = :tenant AND year <= :year
GROUP BY year
ORDER BY year
