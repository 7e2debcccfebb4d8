-- The activities of the year's action plan (handlingsplan), in plan order.
{% from "_macros.sql" import tenant_year %}
SELECT a.activity_code,
       a.activity_name,
       a.section,
       a.target_group,
       a.form,
       a.goals,
       a.term
FROM activity a
WHERE {{ tenant_year("a") }}
ORDER BY a.activity_code
