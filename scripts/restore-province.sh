#!/usr/bin/env bash
# Bring back one province's rows from a backup, leaving every other province and every
# newer edit alone: docs/operations.md, "Restoring one province's data", steps 1 to 6 with
# step 5's "bring back what was deleted" (rows whose id production still has are kept as
# they are). Returning a province to the backup's state is a judgement per row and stays
# a manual procedure. Rehearse on a copy of production first.
#
#   scripts/restore-province.sh --backup cnscd-2026-11-28.dump --province-code 62 \
#       --database-url postgresql://cnscd@db:5432/cnscd
#
# The URL is production's (libpq form, no query string); the scratch database is made
# beside it and dropped at the end. Needs pg_restore, pg_dump, psql of the server's major
# version and the project's `cnscd` (CNSCD=path, default .venv/bin/cnscd), run with
# production's environment (CNSCD_SECRET_KEY …). Afterwards restart the API's replicas.
set -euo pipefail

backup="" province="" url=""
cnscd="${CNSCD:-$(dirname "$0")/../.venv/bin/cnscd}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --backup) backup="$2"; shift ;;
    --province-code) province="$2"; shift ;;
    --database-url) url="$2"; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z "$backup" || -z "$province" || -z "$url" ]]; then
  echo "usage: $0 --backup FILE --province-code CODE --database-url postgresql://…" >&2
  exit 2
fi
[[ "$province" =~ ^[0-9]{1,2}$ ]] || { echo "the province code is one or two digits" >&2; exit 2; }
province=$(printf '%02d' "$((10#$province))")

scratch_name="cnscd_restore_$(date +%s)_$$"
scratch="${url%/*}/$scratch_name"
psql_prod() { psql "$url" -v ON_ERROR_STOP=1 -X -q "$@"; }
psql_scratch() { psql "$scratch" -v ON_ERROR_STOP=1 -X -q "$@"; }
cleanup() {
  psql_prod -c "DROP SCHEMA IF EXISTS restore CASCADE" >/dev/null 2>&1 || true
  psql_prod -c "DROP DATABASE IF EXISTS \"$scratch_name\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The tables a province owns, parents before children (step 3), and how to select them.
tables=(
  "unit|SELECT * FROM unit WHERE path LIKE :'prefix' || '%'"
  "team|SELECT * FROM team WHERE unit_id IN (SELECT id FROM restore.unit)"
  "member|SELECT * FROM member WHERE team_id IN (SELECT id FROM restore.team)"
  "membership|SELECT * FROM membership WHERE team_id IN (SELECT id FROM restore.team)"
  "campaign|SELECT * FROM campaign WHERE scope_unit_id IN (SELECT id FROM restore.unit)"
  "campaign_category|SELECT * FROM campaign_category WHERE campaign_id IN (SELECT id FROM restore.campaign)"
  "campaign_indicator|SELECT * FROM campaign_indicator WHERE campaign_id IN (SELECT id FROM restore.campaign)"
  "campaign_target_set|SELECT * FROM campaign_target_set WHERE campaign_id IN (SELECT id FROM restore.campaign)"
  "campaign_target|SELECT * FROM campaign_target WHERE campaign_id IN (SELECT id FROM restore.campaign)"
  "support_request|SELECT * FROM support_request WHERE unit_id IN (SELECT id FROM restore.unit)"
  "device_need|SELECT * FROM device_need WHERE unit_id IN (SELECT id FROM restore.unit)"
  "device_referral|SELECT * FROM device_referral WHERE unit_id IN (SELECT id FROM restore.unit) AND retain_until >= CURRENT_DATE"
  "activity|SELECT * FROM activity WHERE team_id IN (SELECT id FROM restore.team)"
  "activity_category|SELECT * FROM activity_category WHERE activity_id IN (SELECT id FROM restore.activity)"
  "activity_member|SELECT * FROM activity_member WHERE activity_id IN (SELECT id FROM restore.activity)"
  "activity_value|SELECT * FROM activity_value WHERE activity_id IN (SELECT id FROM restore.activity)"
  "user_account|SELECT * FROM user_account WHERE scope_unit_id IN (SELECT id FROM restore.unit) OR team_id IN (SELECT id FROM restore.team)"
  "api_client|SELECT * FROM api_client WHERE scope_unit_id IN (SELECT id FROM restore.unit)"
)

echo "1. restoring $backup into $scratch_name"
psql_prod -c "CREATE DATABASE \"$scratch_name\""
pg_restore --no-owner --dbname="$scratch" "$backup"
if [[ "$(psql_scratch -tAc 'SELECT version_num FROM alembic_version')" != \
      "$(psql_prod -tAc 'SELECT version_num FROM alembic_version')" ]]; then
  echo "refused: the backup's schema is not production's (alembic_version differs)" >&2
  exit 1
fi

echo "2. the province's path"
select_province="SELECT path FROM unit WHERE level = 'province' AND code = '$province' AND valid_to IS NULL"
prefix=$(psql_scratch -tAc "$select_province")
[[ -n "$prefix" ]] || { echo "refused: no province $province in the backup" >&2; exit 1; }

echo "3. its rows in the schema restore"
{
  echo "CREATE SCHEMA restore;"
  for entry in "${tables[@]}"; do
    echo "CREATE TABLE restore.${entry%%|*} AS ${entry#*|};"
  done
} | psql_scratch -v prefix="$prefix"

echo "4. the schema restore into production"
pg_dump --no-owner --schema=restore "$scratch" | psql_prod >/dev/null

echo "5. bringing back what production lacks, in one transaction"
{
  echo "BEGIN;"
  for entry in "${tables[@]}"; do
    table=${entry%%|*}
    # A row whose key production has is left as it is; any other unique rule broken
    # (a unit code reused since, a phone now in another team) aborts the whole.
    echo "INSERT INTO $table SELECT * FROM restore.$table ON CONFLICT ON CONSTRAINT pk_$table DO NOTHING;"
  done
  echo "COMMIT;"
} | psql_prod

echo "6. the dashboards' aggregates of the province"
province_id=$(psql_prod -tAc "SELECT id FROM unit WHERE path = '$prefix'")
CNSCD_DATABASE_URL="$url" "$cnscd" stats rebuild --unit-id "$province_id"

echo "done: restart the API's replicas one by one (step 7)"
