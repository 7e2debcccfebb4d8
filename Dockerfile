# The RUN reporting image: the official Airflow image plus the runreport package.
# Built by docker-compose.yaml (`docker compose build`); every Airflow service uses it.
FROM apache/airflow:3.3.2-python3.11

# The project's files live in /opt/run, the package's home: RUN_HOME tells the installed package
# where they are (runreport.config), so the package is installed as any package is, not in
# editable mode from a checkout. config/ and include/ are copied here and mounted over the copies
# at run time; data/ (demo data, demo payees) is only mounted (docker-compose.yaml).
ENV RUN_HOME=/opt/run
WORKDIR /opt/run

COPY --chown=airflow:0 pyproject.toml constraints.txt ./
COPY --chown=airflow:0 src/ src/
COPY --chown=airflow:0 config/ config/
COPY --chown=airflow:0 include/ include/

# Pin everything to the project's constraints (the same set the tests run against).
# asyncpg: Airflow 3 opens an async engine to the PostgreSQL metadata DB.
RUN pip install --no-cache-dir -c constraints.txt . asyncpg \
 && mkdir -p /opt/run/var/notifications /opt/run/var/output

# DAG files, plugins and Airflow's home stay where the official image expects them.
WORKDIR /opt/airflow
