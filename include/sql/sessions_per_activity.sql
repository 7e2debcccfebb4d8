-- The sessions (träffar) of the year's activities with date, form and place.
{% from "_macros.sql" import tenant_year %}
SELECT s.activity_code,
       s.session_no,
       s.session_date,
       s.form,
       s.place
FROM activity_session s
WHERE {{ tenant_year("s") }}
ORDER BY s.activity_code, s.session_no
