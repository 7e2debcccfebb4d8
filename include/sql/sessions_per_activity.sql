-- The sessions (träffar) of the year's activities with date, form and place.
SELECT s.activity_code,
       s.session_no,
       s.session_date,
       s.form,
       s.place
FROM activity_session s
WHERE s.tenant = :tenant
  AND s.year = :year
ORDER BY s.activity_code, s.session_no
