-- Every year up to the report's year: how many municipalities contributed (kommunbidrag) and how
-- many of them had participants in the report's activities that year. For the key figures of the
-- year before ("Medlemskommuner med deltagare"; the year's own come from participants_per_municipality).
{% from "_macros.sql" import report_participations %}
SELECT c.year,
       COUNT(*) AS municipalities,
       SUM(CASE WHEN EXISTS (
               SELECT 1 FROM {{ report_participations() }} rp
               WHERE rp.year = c.year AND rp.org_code = c.municipality_code
           ) THEN 1 ELSE 0 END) AS reached
FROM contribution c
WHERE c.tenant = :tenant
  AND c.year <= :year
GROUP BY c.year
ORDER BY c.year
