-- Each municipality that contributes for the year: its population, its contribution and how many
-- took part from it (participations in the report's activities whose organisation is the municipality).
{% from "_macros.sql" import member_names, report_participations, tenant_year %}
SELECT c.municipality_code,
       m.municipality_name,
       c.population,
       c.amount_sek,
       COALESCE(p.participants, 0) AS participants
FROM contribution c
LEFT JOIN {{ member_names() }} m ON m.municipality_code = c.municipality_code
LEFT JOIN (
    SELECT rp.org_code, COUNT(*) AS participants
    FROM {{ report_participations() }} rp
    WHERE rp.year = :year
    GROUP BY rp.org_code
) p ON p.org_code = c.municipality_code
WHERE {{ tenant_year("c") }}
ORDER BY c.municipality_code
