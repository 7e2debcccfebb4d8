-- Registrations per activity of the year: participants (status 'deltog'), registered (not
-- cancelled) and cancelled. Activities without registrations are listed with zeros.
{% from "_macros.sql" import same_activity, tenant_year %}
SELECT a.activity_code,
       a.activity_name,
       a.section,
       SUM(CASE WHEN r.status = 'deltog' THEN 1 ELSE 0 END) AS participants,
       SUM(CASE WHEN r.status IN ('anmäld', 'deltog') THEN 1 ELSE 0 END) AS registered,
       SUM(CASE WHEN r.status = 'avbokad' THEN 1 ELSE 0 END) AS cancelled
FROM activity a
LEFT JOIN registration r ON {{ same_activity("r", "a") }}
WHERE {{ tenant_year("a") }}
GROUP BY a.activity_code, a.activity_name, a.section
ORDER BY a.activity_code
