{# The pieces of SQL that several questions share (Jinja2 macros, as in dbt). A question imports
    what it uses, e.g. {% from "_macros.sql" import member_names %}, and runreport.sql renders it
    before SQLAlchemy's text(). They are rendered without any values: what they yield is SQL whose
    values are still bound parameters (:tenant, :year, ...). A file whose name starts with "_" holds
    such pieces and is not a question: it cannot be run on its own. #}

{# The scope of most questions: the rows of alias `row` that are the tenant's and the report year's. #}
{% macro tenant_year(row) -%}
{{ row }}.tenant = :tenant AND {{ row }}.year = :year
{%- endmacro %}

{# The join condition of a row of alias `row` on its activity `activity`: activity codes are
    unique per tenant and year. #}
{% macro same_activity(row, activity) -%}
{{ row }}.tenant = {{ activity }}.tenant AND {{ row }}.year = {{ activity }}.year AND {{ row }}.activity_code = {{ activity }}.activity_code
{%- endmacro %}

{# The member register's name of each municipality code (one name per code). #}
{% macro member_names() -%}
(
    SELECT municipality_code, MAX(municipality_name) AS municipality_name
    FROM member
    WHERE tenant = :tenant
    GROUP BY municipality_code
)
{%- endmacro %}

{# The participations in the report's activities, every year: a registration with status 'deltog'
    in an activity of the action plan's sections Aktiviteter and Nätverk (report/compose.py). One row
    per person and activity; person_key is the pseudonym of name and e-mail. #}
{% macro report_participations() -%}
(
    SELECT r.year, r.activity_code, r.person_key, r.org_code
    FROM registration r
    JOIN activity a
      ON {{ same_activity("r", "a") }}
     AND LOWER(a.section) IN ('aktiviteter', 'nätverk')
    WHERE r.tenant = :tenant
      AND r.status = 'deltog'
)
{%- endmacro %}
