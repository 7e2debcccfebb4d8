-- Every year in the warehouse up to the report's year: the people who took part in the report's
-- activities (the action plan's sections Aktiviteter and Nätverk) (status 'deltog'),
-- each person once, the participations (one per person and activity) and the activities that had
-- participants. For the trend charts and for the key figures of the year and the year before (a year
-- without registrations has no row).
{% from "_macros.sql" import report_participations %}
SELECT p.year,
       COUNT(DISTINCT p.person_key) AS people,
       COUNT(*) AS participations,
       COUNT(DISTINCT p.activity_code) AS activities
FROM {{ report_participations() }} p
WHERE p.year <= :year
GROUP BY p.year
ORDER BY p.year
