#!/usr/bin/env bash
# A whole push live migration against `pushlink serve --role both` with curl, from the repository
# root: the source's inventory, the link, a destination project and M10, validate, migrate, watch,
# cut over. `npm test` runs this file (test/cli/migrationWalkthrough.test.ts), so it works as written.
#   npm run build && node dist/src/cli/main.js serve --role both --cluster-provisioning 2 \
#     --validation-duration 1 --migration-sync 5 --migration-cutover 2 &
#   bash docs/migration-walkthrough.sh            # PUSHLINK_URL, PUSHLINK_DATA_DIR to change them
set -euo pipefail
D=${PUSHLINK_DATA_DIR:-./data}; URL=${PUSHLINK_URL:-http://127.0.0.1:8080}
until curl -sf "$URL/readyz" >/dev/null; do sleep 0.5; done   # the server is up
ORG_ID=$(jq -r .orgId "$D/bootstrap.json"); KEY="$(jq -r .apiKey.publicKey "$D/bootstrap.json"):$(jq -r .apiKey.privateKey "$D/bootstrap.json")"
SRC_ORG=$(jq -r .orgId "$D/source/bootstrap.json"); SRC_KEY="$(jq -r .apiKey.publicKey "$D/source/bootstrap.json"):$(jq -r .apiKey.privateKey "$D/source/bootstrap.json")"
V1='Accept: application/vnd.atlas.2023-01-01+json'
atlas() { curl -s --digest --user "$KEY" "$@"; }
# 1. The source's inventory (Cloud Manager side). With --role both it is SQLite in <data-dir>/source,
#    even when the Atlas side uses PostgreSQL: no PUSHLINK_DATABASE_URL for these commands.
src() { PUSHLINK_DATABASE_URL= node dist/src/cli/main.js source "$@" --data-dir "$D/source"; }
SRC_PROJECT=$(src project create --org "$SRC_ORG" --name Billing --json | jq -r .id)
src deployment add --project "$SRC_PROJECT" --name rs-billing --mongodb-version 7.0.13 --fcv 7.0 >/dev/null
src migration-host add --project "$SRC_PROJECT" --hostname mh1.example.com >/dev/null
# 2. The link: a link-token from Atlas, pasted into the source side.
TOKEN=$(atlas -H "$V1" -H 'Content-Type: application/json' -X POST "$URL/api/atlas/v2/orgs/$ORG_ID/liveMigrations/linkTokens" -d '{}' | jq -r .linkToken)
curl -s --digest --user "$SRC_KEY" -H 'Content-Type: application/json' -X POST "$URL/api/public/v1.0/orgs/$SRC_ORG/liveExport/migrationLink" -d "{\"linkToken\": \"$TOKEN\"}"; echo
# 3. The destination: a project and an M10.
GROUP_ID=$(atlas -H "$V1" -H 'Content-Type: application/json' -X POST "$URL/api/atlas/v2/groups" -d "{\"name\": \"destination\", \"orgId\": \"$ORG_ID\"}" | jq -r .id)
atlas -H 'Accept: application/vnd.atlas.2024-10-23+json' -H 'Content-Type: application/json' -X POST "$URL/api/atlas/v2/groups/$GROUP_ID/clusters" \
  -d '{"name": "dest", "replicationSpecs": [{"regionConfigs": [{"providerName": "AWS", "regionName": "US_EAST_1", "electableSpecs": {"instanceSize": "M10", "nodeCount": 3}}]}]}' | jq -r .stateName
until [ "$(atlas -H 'Accept: application/vnd.atlas.2024-08-05+json' "$URL/api/atlas/v2/groups/$GROUP_ID/clusters/dest" | jq -r .stateName)" = IDLE ]; do sleep 1; done
# 4. Validate, migrate, watch, cut over.
BODY="{\"destination\": {\"clusterName\": \"dest\", \"groupId\": \"$GROUP_ID\", \"hostnameSchemaType\": \"PUBLIC\"},
  \"migrationHosts\": [\"mh1.example.com\"], \"dropDestinationData\": false,
  \"source\": {\"clusterName\": \"rs-billing\", \"groupId\": \"$SRC_PROJECT\", \"managedAuthentication\": true, \"ssl\": false}}"
V2='application/vnd.atlas.2024-05-30+json'
VALIDATION=$(atlas -H "Accept: $V2" -H "Content-Type: $V2" -X POST "$URL/api/atlas/v2/groups/$GROUP_ID/liveMigrations/validate" -d "$BODY" | jq -r ._id)
until [ "$(atlas -H "$V1" "$URL/api/atlas/v2/groups/$GROUP_ID/liveMigrations/validate/$VALIDATION" | jq -r .status)" != PENDING ]; do sleep 1; done
atlas -H "$V1" "$URL/api/atlas/v2/groups/$GROUP_ID/liveMigrations/validate/$VALIDATION"; echo
MIGRATION=$(atlas -H "Accept: $V2" -H "Content-Type: $V2" -X POST "$URL/api/atlas/v2/groups/$GROUP_ID/liveMigrations" -d "$BODY" | jq -r ._id)
until atlas -H "$V1" "$URL/api/atlas/v2/groups/$GROUP_ID/liveMigrations/$MIGRATION" | jq -e .readyForCutover >/dev/null; do sleep 1; done
atlas -H "$V1" -X PUT -o /dev/null -w '%{http_code}\n' "$URL/api/atlas/v2/groups/$GROUP_ID/liveMigrations/$MIGRATION/cutover"
until [ "$(atlas -H "$V1" "$URL/api/atlas/v2/groups/$GROUP_ID/liveMigrations/$MIGRATION" | jq -r .status)" = COMPLETE ]; do sleep 1; done
atlas -H "$V1" "$URL/api/atlas/v2/groups/$GROUP_ID/liveMigrations/$MIGRATION"; echo
