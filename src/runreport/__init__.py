"""RUN reporting pipeline: domain code for the Regionalt utvecklingsnätverk's yearly reporting.

Everything here runs and is tested without Airflow; the DAGs in ``dags/`` only wire it together.
"""

__version__ = "0.1.0"
