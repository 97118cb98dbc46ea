#!/usr/bin/env bash
# A restart keeps everything: the daemon is stopped with SIGTERM (by PID)
# and started again on the same database; every model, its weights (every
# version), samples, versions, jobs and history read back identical, and
# predict answers the same numbers.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash

start_daemon
echo "== build some state ($MLPD_URL)"
A=$(create_model) || exit 1
B=$(create_model '{"name":"tanh-3-4-2","inputs":3,"layers":[{"units":4,"activation":"tanh"},{"units":2,"activation":"linear"}],"init":{"method":"he_normal","seed":9}}') || exit 1
req PUT "/v1/models/$A/weights" "$LECTURE_WEIGHTS"
check_status "PUT weights on A" 200
req POST "/v1/models/$A/samples" '{"samples":[{"x":[0,0],"y":[0]},{"x":[1,0],"y":[0.8414709848078965]},{"x":[0.3,-2],"y":[-0.12282]}]}'
check_status "3 JSON samples on A" 201
req POST "/v1/models/$A/samples" $'0.1,0.2,0.09784\n2,1,0.49129549\n' text/csv
check_status "2 CSV samples on A" 201
req POST "/v1/models/$A/step" '{"x":[0.5,-1.0],"y":[0.8],"learning_rate":0.5}'
check_status "a step on A" 200
req POST "/v1/models/$A/train?wait=true" '{"epochs":10,"seed":5}'
check_status "train A" 200
req POST "/v1/models/$A/versions/2/restore"
check_status "restore version 2 on A" 200
req POST "/v1/models/$B/samples" '{"inputs":[[1,2,3],[0,0,1]],"targets":[[1,0],[0,1]]}'
check_status "samples on B" 201
req POST "/v1/models/$B/train?wait=true" '{"epochs":4,"optimizer":"adam","learning_rate":0.01,"batch_size":2}'
check_status "train B (adam)" 200
snapshot A "$A"
snapshot B "$B"
for v in 1 2 3 4 5; do
    req GET "/v1/models/$A/weights?version=$v"
    cp "$BODY_FILE" "$E2E_TMP/A-v$v.json"
done
req POST "/v1/models/$A/predict" '{"inputs":[[0.5,-1],[3,4]]}'
cp "$BODY_FILE" "$E2E_TMP/predA.json"
req POST "/v1/models/$B:predict" '{"instances":[[1,1,1]]}'
cp "$BODY_FILE" "$E2E_TMP/predB.json"

echo "== SIGTERM, start again on the same database"
OLD_PORT=$MLPD_PORT
restart_daemon
echo "  (port $OLD_PORT -> $MLPD_PORT)"
same_as A "$A" "model A after restart"
same_as B "$B" "model B after restart"
for v in 1 2 3 4 5; do
    req GET "/v1/models/$A/weights?version=$v"
    check "A weights version $v read back identical" "t == open('$E2E_TMP/A-v$v.json').read()"
done
req POST "/v1/models/$A/predict" '{"inputs":[[0.5,-1],[3,4]]}'
check "A predicts the same numbers" "t == open('$E2E_TMP/predA.json').read()"
req POST "/v1/models/$B:predict" '{"instances":[[1,1,1]]}'
check "B predicts the same numbers" "t == open('$E2E_TMP/predB.json').read()"

echo "== writes keep working after the restart, and survive another one"
req POST "/v1/models/$A/samples" '{"samples":[{"x":[9,9],"y":[1]}]}'
check "a new sample is number 6" "s == 201 and j == {'added': 1, 'total': 6}"
req POST "/v1/models/$A/train?wait=true" '{"epochs":2}'
check "a new job publishes version 6" "s == 200 and j['version'] == 6"
snapshot A2 "$A"
restart_daemon
same_as A2 "$A" "model A after a second restart"
if [ -z "${MLPD_E2E_PG:-}" ]; then
    check "the database file is where --db says" "__import__('os').path.getsize('$MLPD_DB') > 0"
fi
finish
