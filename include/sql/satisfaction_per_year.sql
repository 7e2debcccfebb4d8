-- The mean overall impression (helhetsintryck, 1-5) of the evaluations, and how many answered it,
-- for the year and the year before.
SELECT e.year,
       AVG(CAST(e.q_overall AS NUMERIC)) AS mean_overall,
       COUNT(e.q_overall) AS answers
FROM evaluation e
WHERE e.tenant = :tenant
  AND e.year IN (:year - 1, :year)
  AND e.q_overall IS NOT NULL
GROUP BY e.year
ORDER BY e.year
