#!/usr/bin/env bash
# Installs (Debian's package, when missing) and starts a local PostgreSQL for the storage and monitor
# tests, with a role and a database for them; prints the URL to export as FACTSANDWICH_TEST_POSTGRES_URL.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >&2
pg_lsclusters -h | grep -q "^$version main .* online" || pg_ctlcluster "$version" main start >&2
as_postgres() { (cd / && runuser -u postgres -- "$@"); }  # from a directory postgres may enter
as_postgres psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'factsandwich'" | grep -q 1 ||
    as_postgres psql -qc "CREATE ROLE factsandwich LOGIN PASSWORD 'factsandwich' CREATEDB" >&2
as_postgres psql -qtAc "SELECT 1 FROM pg_database WHERE datname = 'factsandwich_test'" | grep -q 1 ||
    as_postgres createdb -O factsandwich factsandwich_test >&2
echo "postgresql+psycopg://factsandwich:factsandwich@127.0.0.1:5432/factsandwich_test"
