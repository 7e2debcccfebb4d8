#!/bin/bash
# Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d):
# creates the warehouse role and database next to Airflow's metadata database.
set -euo pipefail
: "${WAREHOUSE_DB_PASSWORD:?set WAREHOUSE_DB_PASSWORD in .env}"
WAREHOUSE_DB_USER="${WAREHOUSE_DB_USER:-run_warehouse}"
WAREHOUSE_DB_NAME="${WAREHOUSE_DB_NAME:-run_warehouse}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v usr="$WAREHOUSE_DB_USER" -v pw="$WAREHOUSE_DB_PASSWORD" -v db="$WAREHOUSE_DB_NAME" <<'EOSQL'
CREATE ROLE :"usr" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"usr" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
EOSQL
echo "created database ${WAREHOUSE_DB_NAME} owned by ${WAREHOUSE_DB_USER}"
