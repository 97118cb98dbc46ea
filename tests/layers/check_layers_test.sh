#!/usr/bin/env bash
# The layer checker itself: it passes on this tree, and fails on a copy
# of server/ and core/ with each kind of planted mistake, naming it.
set -u
cd "$(dirname "$0")/../.."
checker=scripts/check-layers.py
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "  ok    $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL  $1"; }

if out=$($py $checker --root . 2>&1); then ok "this tree passes"; else bad "this tree: $out"; fi

# A fresh copy for each case; $1 names it, $2 is a shell snippet run in the
# copy, $3 a pattern the checker's output must contain.
planted() {
    local name=$1 plant=$2 want=$3 dir=$tmp/$RANDOM$RANDOM
    mkdir -p "$dir" && cp -r server core "$dir"/
    (cd "$dir" && eval "$plant")
    local out rc
    out=$($py $checker --root "$dir" 2>&1); rc=$?
    if [ $rc -eq 1 ] && grep -q -- "$want" <<<"$out"; then ok "$name"
    else bad "$name (exit $rc): $out"; fi
}

planted "upward include (util -> api)" \
    'printf "#include \"api/reply.h\"\n" >>server/util/sbuf.c' "upward (util may not include api)"
planted "upward include (domain -> jobs)" \
    'printf "#include \"jobs/jobs.h\"\n" >>server/domain/model.c' "upward (domain may not include jobs)"
planted "upward include (storage interface -> its backend)" \
    'echo "int x;" >server/storage/sqlite/planted.h; printf "#include \"storage/sqlite/planted.h\"\n" >>server/storage/storage.h' \
    "upward (storage may not include storage/sqlite)"
planted "sideways include between backends" \
    'mkdir -p server/storage/pg; echo "int y;" >server/storage/pg/planted.h; printf "#include \"storage/pg/planted.h\"\n" >>server/storage/sqlite/sqlite_db.c' \
    "sideways"
planted "sqlite3.h outside storage/" \
    'printf "#include <sqlite3.h>\n" >>server/domain/cache.c' "sqlite3.h is included outside server/storage/"
planted "sqlite3.h in a backend-neutral storage file" \
    'printf "#include <sqlite3.h>\n" >>server/storage/storage_models.c' "sqlite3.h is included outside server/storage/sqlite/"
planted "microhttpd.h outside http/" \
    'printf "#include <microhttpd.h>\n" >>server/api/reply.c' "microhttpd.h is included outside server/http/"
planted "a folder that is no layer" \
    'mkdir -p server/misc; echo "int z;" >server/misc/z.c' "server/misc is not a layer"
planted "include cycle between files" \
    'printf "#include \"util/b.h\"\n" >server/util/a.h; printf "#include \"util/a.h\"\n" >server/util/b.h' \
    "include cycle between files"
planted "include without its folder" \
    'printf "#include \"reply.h\"\n" >>server/api/cors.c' "write the include with its folder"
planted "core/ including a server header" \
    'printf "#include \"../server/util/sbuf.h\"\n" >>core/net.c' "core/ includes the server header"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
