-- Budget vs outcome per activity: municipal budget, external funder and budget from the action
-- plan, the outcome = costs booked on the activity (accounts in the configured cost range), and the
-- external income booked on it (income accounts, booked negative: shown positive), which pays for
-- the activity's costs first (docs/money-rules.md: the outcome split into Kommun and Extern).
-- Costs booked on codes that are not in the plan are listed under the section 'Övrigt'.
SELECT a.section,
       a.activity_code,
       a.activity_name,
       a.municipal_budget_sek,
       a.external_funder,
       a.external_budget_sek,
       COALESCE(c.outcome_sek, 0) AS outcome_sek,
       COALESCE(i.income_sek, 0) AS external_income_sek
FROM activity a
LEFT JOIN (
    SELECT l.activity_code, SUM(l.amount_sek) AS outcome_sek
    FROM ledger_line l
    WHERE l.tenant = :tenant
      AND l.year = :year
      AND l.account >= :cost_from
      AND l.account <= :cost_to
    GROUP BY l.activity_code
) c ON c.activity_code = a.activity_code
LEFT JOIN (
    SELECT l.activity_code, -SUM(l.amount_sek) AS income_sek
    FROM ledger_line l
    WHERE l.tenant = :tenant
      AND l.year = :year
      AND l.account >= :income_from
      AND l.account <= :income_to
    GROUP BY l.activity_code
) i ON i.activity_code = a.activity_code
WHERE a.tenant = :tenant
  AND a.year = :year
UNION ALL
SELECT 'Övrigt' AS section,
       l.activity_code,
       l.activity_code AS activity_name,
       0 AS municipal_budget_sek,
       NULL AS external_funder,
       NULL AS external_budget_sek,
       SUM(l.amount_sek) AS outcome_sek,
       0 AS external_income_sek
FROM ledger_line l
WHERE l.tenant = :tenant
  AND l.year = :year
  AND l.account >= :cost_from
  AND l.account <= :cost_to
  AND NOT EXISTS (
      SELECT 1 FROM activity a2
      WHERE a2.tenant = l.tenant AND a2.year = l.year AND a2.activity_code = l.activity_code
  )
GROUP BY l.activity_code
ORDER BY 1, 2
