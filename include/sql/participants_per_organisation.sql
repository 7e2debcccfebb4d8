-- Participants (status 'deltog') per activity and organisation (municipality code or partner
-- code), with the municipality name from the member register where the code is a member's.
SELECT r.activity_code,
       r.org_code,
       m.municipality_name,
       COUNT(*) AS participants
FROM registration r
LEFT JOIN (
    SELECT municipality_code, MAX(municipality_name) AS municipality_name
    FROM member
    WHERE tenant = :tenant
    GROUP BY municipality_code
) m ON m.municipality_code = r.org_code
WHERE r.tenant = :tenant
  AND r.year = :year
  AND r.status = 'deltog'
GROUP BY r.activity_code, r.org_code, m.municipality_name
ORDER BY r.activity_code, COUNT(*) DESC, r.org_code
