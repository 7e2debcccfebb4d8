-- Each member municipality's contribution (kommunbidrag) for the year, with its name.
{% from "_macros.sql" import member_names, tenant_year %}
SELECT c.municipality_code,
       m.municipality_name,
       c.population,
       c.rate_sek,
       c.months,
       c.amount_sek
FROM contribution c
LEFT JOIN {{ member_names() }} m ON m.municipality_code = c.municipality_code
WHERE {{ tenant_year("c") }}
ORDER BY c.municipality_code
