-- Participants (status 'deltog') per activity and organisation (municipality code or partner
-- code), with the municipality name from the member register where the code is a member's.
{% from "_macros.sql" import member_names, tenant_year %}
SELECT r.activity_code,
       r.org_code,
       m.municipality_name,
       COUNT(*) AS participants
FROM registration r
LEFT JOIN {{ member_names() }} m ON m.municipality_code = r.org_code
WHERE {{ tenant_year("r") }}
  AND r.status = 'deltog'
GROUP BY r.activity_code, r.org_code, m.municipality_name
ORDER BY r.activity_code, COUNT(*) DESC, r.org_code
