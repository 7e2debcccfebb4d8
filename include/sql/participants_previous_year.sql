-- Participants (status 'deltog') per activity name in the previous year. Matched on the name,
-- since activity codes carry the year.
{% from "_macros.sql" import same_activity %}
SELECT a.activity_name,
       SUM(CASE WHEN r.status = 'deltog' THEN 1 ELSE 0 END) AS participants
FROM activity a
LEFT JOIN registration r ON {{ same_activity("r", "a") }}
WHERE a.tenant = :tenant
  AND a.year = :year - 1
GROUP BY a.activity_name
ORDER BY a.activity_name
