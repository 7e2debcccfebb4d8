-- Evaluation responses per activity: the number of responses and, per Likert question, the
-- number of answers 1..5 (means are computed from the distribution).
{% from "_macros.sql" import tenant_year %}
SELECT e.activity_code,
       COUNT(*) AS responses,
       SUM(CASE WHEN e.q_overall = 1 THEN 1 ELSE 0 END) AS overall_1,
       SUM(CASE WHEN e.q_overall = 2 THEN 1 ELSE 0 END) AS overall_2,
       SUM(CASE WHEN e.q_overall = 3 THEN 1 ELSE 0 END) AS overall_3,
       SUM(CASE WHEN e.q_overall = 4 THEN 1 ELSE 0 END) AS overall_4,
       SUM(CASE WHEN e.q_overall = 5 THEN 1 ELSE 0 END) AS overall_5,
       SUM(CASE WHEN e.q_relevance = 1 THEN 1 ELSE 0 END) AS relevance_1,
       SUM(CASE WHEN e.q_relevance = 2 THEN 1 ELSE 0 END) AS relevance_2,
       SUM(CASE WHEN e.q_relevance = 3 THEN 1 ELSE 0 END) AS relevance_3,
       SUM(CASE WHEN e.q_relevance = 4 THEN 1 ELSE 0 END) AS relevance_4,
       SUM(CASE WHEN e.q_relevance = 5 THEN 1 ELSE 0 END) AS relevance_5,
       SUM(CASE WHEN e.q_apply = 1 THEN 1 ELSE 0 END) AS apply_1,
       SUM(CASE WHEN e.q_apply = 2 THEN 1 ELSE 0 END) AS apply_2,
       SUM(CASE WHEN e.q_apply = 3 THEN 1 ELSE 0 END) AS apply_3,
       SUM(CASE WHEN e.q_apply = 4 THEN 1 ELSE 0 END) AS apply_4,
       SUM(CASE WHEN e.q_apply = 5 THEN 1 ELSE 0 END) AS apply_5
FROM evaluation e
WHERE {{ tenant_year("e") }}
GROUP BY e.activity_code
ORDER BY e.activity_code
