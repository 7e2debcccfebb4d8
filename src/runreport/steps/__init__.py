"""One module per DAG task of the annual run, keyed by (tenant, reporting year):

collect -> validate -> load -> compute -> report

Each function is idempotent: running a year twice gives the same warehouse and outputs. State
between the steps goes through the warehouse (:mod:`runreport.warehouse.staging`), so each step
may run on any worker. The DAG files only wire them together.
"""
