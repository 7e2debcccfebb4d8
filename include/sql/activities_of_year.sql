-- The activities of the year's action plan (handlingsplan), in plan order.
SELECT a.activity_code,
       a.activity_name,
       a.section,
       a.target_group,
       a.form,
       a.goals,
       a.term
FROM activity a
WHERE a.tenant = :tenant
  AND a.year = :year
ORDER BY a.activity_code
