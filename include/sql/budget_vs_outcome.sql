-- Budget vs outcome per activity: municipal budget, external funder and budget from the action
-- plan, the outcome = costs booked on the activity (accounts in the configured cost range), and the
-- external income booked on it (income accounts, booked negative: shown positive), which pays for
-- the activity's costs first (docs/money-rules.md: the outcome split into Kommun and Extern).
-- Costs booked on codes that are not in the plan are listed under the section 'Övrigt'.
{% from "_macros.sql" import tenant_year %}
{# The year's ledger sum per activity code on the accounts :<accounts>_from to :<accounts>_to. #}
{% macro booked_per_activity(accounts) -%}
(
    SELECT l.activity_code, SUM(l.amount_sek) AS amount_sek
    FROM ledger_line l
    WHERE {{ tenant_year("l") }}
      AND l.account >= :{{ accounts }}_from
      AND l.account <= :{{ accounts }}_to
    GROUP BY l.activity_code
)
{%- endmacro %}
SELECT a.section,
       a.activity_code,
       a.activity_name,
       a.municipal_budget_sek,
       a.external_funder,
       a.external_budget_sek,
       COALESCE(c.amount_sek, 0) AS outcome_sek,
       COALESCE(-i.amount_sek, 0) AS external_income_sek
FROM activity a
LEFT JOIN {{ booked_per_activity("cost") }} c ON c.activity_code = a.activity_code
LEFT JOIN {{ booked_per_activity("income") }} i ON i.activity_code = a.activity_code
WHERE {{ tenant_year("a") }}
UNION ALL
SELECT 'Övrigt' AS section,
       c.activity_code,
       c.activity_code AS activity_name,
       0 AS municipal_budget_sek,
       NULL AS external_funder,
       NULL AS external_budget_sek,
       c.amount_sek AS outcome_sek,
       0 AS external_income_sek
FROM {{ booked_per_activity("cost") }} c
WHERE NOT EXISTS (
    SELECT 1 FROM activity a2
    WHERE {{ tenant_year("a2") }} AND a2.activity_code = c.activity_code
)
ORDER BY 1, 2
