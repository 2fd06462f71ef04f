#!/usr/bin/env bash
# Faults under load: kill -9 of a worker mid-write, and (only when asked) PostgreSQL
# stopped for 15 seconds during the mixed load of bench/load.py.
#
#   bench/faults.sh [--really-stop-postgres] [--skip-kill] [--clients N] [--seconds S]
#                   [--database-url URL]
#
# 1. kill -9 (always, unless --skip-kill): bench/load.py --kill-test kills the worker that
#    is inserting a 20,000-row member import, then the one inserting a 500-activity batch
#    (found through pg_stat_activity and /proc), and checks that nothing partial was
#    stored, that the import sent again and the batch retried with the same
#    Idempotency-Key and body complete, each row once.
# 2. The outage (only with --really-stop-postgres: it stops PostgreSQL for everyone on
#    this machine): bench/load.py --outage runs the load (default 8 clients, 90 s); 20 s
#    in, PostgreSQL is stopped for DOWN_SECONDS (15), then started; the events of every
#    request are judged by bench/load.py --check-outage: 503 problem+json within 5 s
#    while down, /readyz 503, normal answers within 5 s of the start, no restart; the
#    load's own accepted-write check must hold too.
#
# Environment: PG_STOP_CMD and PG_START_CMD (default: pg_ctlcluster of the one cluster
# under /etc/postgresql), DOWN_SECONDS (15), LEAD_SECONDS (20), PYTHON (.venv/bin/python).
# Prints PASS/FAIL per check (also to bench/results/faults-<date>.txt); exits 1 when any
# check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
DOWN_SECONDS=${DOWN_SECONDS:-15}
LEAD_SECONDS=${LEAD_SECONDS:-20}
CLUSTER_VERSION=$(ls /etc/postgresql 2>/dev/null | head -n 1 || true)
PG_STOP_CMD=${PG_STOP_CMD:-"pg_ctlcluster --skip-systemctl-redirect $CLUSTER_VERSION main stop"}
PG_START_CMD=${PG_START_CMD:-"pg_ctlcluster --skip-systemctl-redirect $CLUSTER_VERSION main start"}

really_stop=0
kill_test=1
clients=8
seconds=90
database_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --really-stop-postgres) really_stop=1 ;;
    --skip-kill) kill_test=0 ;;
    --clients) clients=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --database-url) database_args=(--database-url "$2"); shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

results=${CNSCD_BENCH_RESULTS:-bench/results}
mkdir -p "$results"
report=$results/faults-$(date +%Y%m%d-%H%M).txt
exec > >(tee "$report") 2>&1
# The commit measured and whether the work tree differed from it (as harness.source_line).
.venv/bin/python -c 'import sys; sys.path.insert(0, "bench"); from harness import source_line; print(source_line())'

failed=0
verdicts=()
verdict() {  # verdict NAME EXIT_STATUS
  if [[ $2 -eq 0 ]]; then verdicts+=("PASS  $1"); else verdicts+=("FAIL  $1"); failed=1; fi
}

if [[ $kill_test -eq 1 ]]; then
  echo "== kill -9 of a worker mid-import and mid-batch"
  status=0
  "$PYTHON" bench/load.py --kill-test "${database_args[@]}" || status=$?
  verdict "kill -9 mid-import and mid-batch" "$status"
fi

if [[ $really_stop -eq 0 ]]; then
  verdicts+=("SKIP  PostgreSQL outage (pass --really-stop-postgres: it stops PostgreSQL for everyone on this machine)")
else
  echo "== PostgreSQL stopped for ${DOWN_SECONDS} s during ${seconds} s of load (${clients} clients)"
  if (( seconds < LEAD_SECONDS + DOWN_SECONDS + 20 )); then
    echo "--seconds must be at least $((LEAD_SECONDS + DOWN_SECONDS + 20))" >&2
    exit 2
  fi
  work=$(mktemp -d)
  stopped=0
  load_pid=""
  cleanup() {
    # Never leave PostgreSQL down, whatever happened.
    if [[ $stopped -eq 1 ]]; then
      echo "starting PostgreSQL again (cleanup)" >&2
      bash -c "$PG_START_CMD" || true
    fi
    if [[ -n $load_pid ]] && kill -0 "$load_pid" 2>/dev/null; then kill "$load_pid" || true; fi
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM  # through the EXIT trap: PostgreSQL is started again

  "$PYTHON" bench/load.py --outage --clients "$clients" --seconds "$seconds" \
    --events "$work/events.jsonl" --ready-file "$work/ready" "${database_args[@]}" \
    >"$work/load.log" 2>&1 &
  load_pid=$!
  echo "load running (pid $load_pid, log $work/load.log); waiting for the measured part"
  for _ in $(seq 1 1200); do
    [[ -s $work/ready ]] && break
    kill -0 "$load_pid" 2>/dev/null || { cat "$work/load.log"; echo "the load exited early" >&2; exit 1; }
    sleep 0.5
  done
  [[ -s $work/ready ]] || { echo "the load never started" >&2; exit 1; }
  sleep "$LEAD_SECONDS"

  echo "$(date -u +%T) stopping PostgreSQL: $PG_STOP_CMD"
  stopped=1
  bash -c "$PG_STOP_CMD"
  down_at=$(date +%s.%N)
  sleep "$DOWN_SECONDS"
  start_at=$(date +%s.%N)
  echo "$(date -u +%T) starting PostgreSQL: $PG_START_CMD"
  bash -c "$PG_START_CMD"
  up_at=$(date +%s.%N)
  stopped=0
  echo "$(date -u +%T) PostgreSQL is up again ($(awk "BEGIN { printf \"%.1f\", $up_at - $start_at }") s to start)"

  status=0
  wait "$load_pid" || status=$?
  load_pid=""
  grep -v 'alembic.runtime' "$work/load.log" || true
  verdict "the load through the outage (no 5xx but 503s, accepted writes stored)" "$status"

  status=0
  "$PYTHON" bench/load.py --events "$work/events.jsonl" \
    --check-outage "$down_at" "$start_at" "$up_at" || status=$?
  verdict "the service through the outage (503 fast, back within 5 s)" "$status"
  echo "events kept in $work/events.jsonl"
fi

echo
echo "== summary"
printf '%s\n' "${verdicts[@]}"
echo "written to $report"
exit $failed
