# mlpd - build, run, test, benchmark.
#
# `make run` and `make test` are all the set-up a fresh Debian 12 or 13
# machine needs: missing Debian packages are installed first (apt-get, as
# root) from the one list, scripts/packages.txt (the Dockerfile reads it
# too). `make fresh-check` proves it in a debootstrap chroot.
#
# Layout of $(B)/:
#   build/mlpd                  the daemon
#   build/libmlpcore.a          core/ (backprop library)
#   build/libmlpserver.a        server/ (all its layer folders) without main.c
#   build/tests/*               unit test binaries (check)
#   build/asan/...              the same, under AddressSanitizer + UBSan
#   build/tsan/...              the daemon and the job tests, under ThreadSanitizer

B       ?= build
# The compiler the build names (Debian's `cc` is whichever of gcc and clang
# was installed last). `make CC=clang` builds too: no warning either
# compiler turns into an error.
CC      := gcc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BLASDIR := /usr/lib/$(MULTIARCH)/openblas-serial
BLASINC := /usr/include/$(MULTIARCH)/openblas-serial

# Debian packages: scripts/packages.txt, groups build, test, bench.
INSTALL_DEPS := sh scripts/install-deps.sh
PKG_LIST     := scripts/packages.txt scripts/install-deps.sh

WARN    := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wvla
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2
# Full RELRO: the GOT is read-only after start-up (PIE is gcc's default here).
LDHARDEN := -Wl,-z,relro -Wl,-z,now
DEFS    := -D_GNU_SOURCE
PQINC   := $(shell pkg-config --cflags-only-I libpq 2>/dev/null || echo -I/usr/include/postgresql)
INC     := -I. -Icore -Iserver -I/usr/include/cjson -I$(BLASINC) $(PQINC)
CSTD    := -std=c11
OPT     ?= -O2
CFLAGS  := $(CSTD) $(WARN) $(DEFS) $(INC) -g $(OPT) $(HARDEN) -MMD -MP
BLASLIB := -L$(BLASDIR) -Wl,-rpath,$(BLASDIR) -lopenblas
CORELIBS := $(BLASLIB) -lmvec -lm
# core/vmath.c: flags that let glibc's headers map exp/tanh to libmvec.
# (-Wno-psabi: tiny.c's four-double vectors never cross a call boundary.)
VMATH_FLAGS := -fopenmp-simd -fno-math-errno -D__FAST_MATH__ -Wno-psabi
SRVLIBS := -lmicrohttpd -lcjson -lsqlite3 -lpq -lsodium -pthread
CHECKLIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm -pthread)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

CORE_SRC   := $(wildcard core/*.c)
# server/ is in layer folders (util, storage, storage/sqlite, domain, jobs,
# api, http; see README "How the code is laid out"), main.c and app.c on top.
SERVER_ALL := $(wildcard server/*.c server/*/*.c server/*/*/*.c)
SERVER_SRC := $(filter-out server/main.c,$(SERVER_ALL))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
TESTUTIL_SRC := $(wildcard tests/unit/util_*.c)

# $(B)/<variant>/ object trees: release in $(B)/obj, sanitized in $(B)/asan/obj
define objs
$(patsubst %.c,$(1)/%.o,$(2))
endef

REL := $(B)/obj
SAN := $(B)/asan/obj

CORE_OBJ      := $(call objs,$(REL),$(CORE_SRC))
SERVER_OBJ    := $(call objs,$(REL),$(SERVER_SRC))
TESTUTIL_OBJ  := $(call objs,$(REL),$(TESTUTIL_SRC))
CORE_SOBJ     := $(call objs,$(SAN),$(CORE_SRC))
SERVER_SOBJ   := $(call objs,$(SAN),$(SERVER_SRC))
TESTUTIL_SOBJ := $(call objs,$(SAN),$(TESTUTIL_SRC))

UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT_SBIN := $(patsubst tests/unit/%.c,$(B)/asan/tests/%,$(UNIT_SRC))
# Keep the test objects: deleted as intermediates, they would be built
# again by the next make (their .d files name them), e.g. in a test lane.
.SECONDARY: $(call objs,$(REL),$(UNIT_SRC) $(TESTUTIL_SRC)) \
            $(call objs,$(SAN),$(UNIT_SRC) $(TESTUTIL_SRC)) \
            $(call objs,$(B)/tsan/obj,$(UNIT_SRC))

.PHONY: all deps test-deps bench-deps browser-deps run test unit unit-asan e2e bench clean tsan
.DEFAULT_GOAL := all

all: deps $(B)/mlpd

# Install what is missing, once per change of the list (the stamps
# remember it): build for `make run`, test for `make test`, bench.
deps: $(B)/.deps
$(B)/.deps: $(PKG_LIST)
	@mkdir -p $(B)
	@$(INSTALL_DEPS) build
	@touch $@

test-deps: $(B)/.test-deps
$(B)/.test-deps: $(PKG_LIST) | $(B)/.deps
	@$(INSTALL_DEPS) build test
	@touch $@

# The browser test's chromium is in the test group.
browser-deps: test-deps

bench-deps: deps
	@$(INSTALL_DEPS) bench

$(REL)/%.o: %.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
# The unit tests need check (test group).
$(call objs,$(REL),$(UNIT_SRC) $(TESTUTIL_SRC)): | $(B)/.test-deps

# The core's inner loops are worth -O3 (vectorised dot products); the core
# never reads errno, so sqrt may vectorise (-fno-math-errno).
$(REL)/core/%.o: core/%.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 -fno-math-errno -c $< -o $@

# core/tiny.c too: its four-lane loops call libmvec's exp and tanh.
VMATH_SRC := core/vmath.c core/vmath32.c core/tiny.c
$(call objs,$(REL),$(VMATH_SRC)): $(REL)/core/%.o: core/%.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 $(VMATH_FLAGS) -c $< -o $@

$(call objs,$(SAN),$(VMATH_SRC)): $(SAN)/core/%.o: core/%.c | $(B)/.test-deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(SAN_FLAGS) $(VMATH_FLAGS) -MMD -MP -c $< -o $@

$(SAN)/%.o: %.c | $(B)/.test-deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(B)/libmlpcore.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^
$(B)/libmlpserver.a: $(SERVER_OBJ)
	rm -f $@ && ar rcs $@ $^
$(B)/asan/libmlpcore.a: $(CORE_SOBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(B)/asan/libmlpserver.a: $(SERVER_SOBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# openapi.yaml is served from the binary: embedded as $(B)/gen/openapi_yaml.c
# (an empty document while the file does not exist).
GEN_OPENAPI := $(B)/gen/openapi_yaml.c
$(GEN_OPENAPI): $(wildcard openapi.yaml) scripts/embed-file.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-file.sh openapi.yaml openapi_yaml $@
$(REL)/gen/openapi_yaml.o: $(GEN_OPENAPI)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(SAN)/gen/openapi_yaml.o: $(GEN_OPENAPI)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) -g -O1 $(SAN_FLAGS) -c $< -o $@
$(B)/libmlpserver.a: $(REL)/gen/openapi_yaml.o
$(B)/asan/libmlpserver.a: $(SAN)/gen/openapi_yaml.o

# The lab page (server/web/*.html, *.css, *.js, and the lecture as *.md) is
# embedded as $(B)/gen/web_files.c (server/api/static.c serves it);
# screenshots stay out. The ONNX demo page's onnxruntime-web
# (server/web/vendor/onnxruntime-web/, see its README.md) is served from
# /web/ too; its WebAssembly is kept gzipped in the repository and
# unpacked here.
ORT_WEB  := server/web/vendor/onnxruntime-web
ORT_WASM := $(B)/gen/web/ort-wasm-simd-threaded.wasm
WEB_SRC := $(sort $(wildcard server/web/*.html server/web/*.css server/web/*.js server/web/*.md)) \
           $(ORT_WEB)/ort-wasm-bundle.mjs $(ORT_WEB)/onnxruntime-web-LICENSE.txt $(ORT_WASM)
GEN_WEB := $(B)/gen/web_files.c
$(ORT_WASM): $(ORT_WEB)/ort-wasm-simd-threaded.wasm.gz
	@mkdir -p $(dir $@)
	gzip -dc $< >$@.tmp && mv $@.tmp $@
$(GEN_WEB): $(WEB_SRC) scripts/embed-web.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-web.sh $@ $(WEB_SRC)
$(REL)/gen/web_files.o: $(GEN_WEB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(SAN)/gen/web_files.o: $(GEN_WEB)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(SAN_FLAGS) -c $< -o $@
$(B)/libmlpserver.a: $(REL)/gen/web_files.o
$(B)/asan/libmlpserver.a: $(SAN)/gen/web_files.o

# schema/sqlite/NNNN_*.sql are embedded as $(B)/gen/schema_sql.c (storage/sqlite/sqlite_db.c applies
# them), so the daemon needs no schema/ folder at run time.
GEN_SCHEMA := $(B)/gen/schema_sql.c
$(GEN_SCHEMA): $(wildcard schema/sqlite/*.sql) scripts/embed-schema.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-schema.sh schema/sqlite $@
$(REL)/gen/schema_sql.o: $(GEN_SCHEMA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(SAN)/gen/schema_sql.o: $(GEN_SCHEMA)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(SAN_FLAGS) -c $< -o $@
$(B)/libmlpserver.a: $(REL)/gen/schema_sql.o
$(B)/asan/libmlpserver.a: $(SAN)/gen/schema_sql.o
# schema/pg/NNNN_*.sql likewise as $(B)/gen/pg_schema_sql.c (storage/pg/pg_migrate.c).
GEN_PG_SCHEMA := $(B)/gen/pg_schema_sql.c
$(GEN_PG_SCHEMA): $(wildcard schema/pg/*.sql) scripts/embed-schema.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-schema.sh schema/pg $@ st_pg_migration storage/pg/pg_internal.h
$(REL)/gen/pg_schema_sql.o: $(GEN_PG_SCHEMA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(SAN)/gen/pg_schema_sql.o: $(GEN_PG_SCHEMA)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(SAN_FLAGS) -c $< -o $@
$(B)/libmlpserver.a: $(REL)/gen/pg_schema_sql.o
$(B)/asan/libmlpserver.a: $(SAN)/gen/pg_schema_sql.o

$(B)/mlpd: $(REL)/server/main.o $(B)/libmlpserver.a $(B)/libmlpcore.a
	$(CC) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(SRVLIBS) $(CORELIBS)
$(B)/asan/mlpd: $(SAN)/server/main.o $(B)/asan/libmlpserver.a $(B)/asan/libmlpcore.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(SRVLIBS) $(CORELIBS)

$(B)/tests/%: $(REL)/tests/unit/%.o $(TESTUTIL_OBJ) $(B)/libmlpserver.a $(B)/libmlpcore.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(CHECKLIBS) $(SRVLIBS) $(CORELIBS)
$(B)/asan/tests/%: $(SAN)/tests/unit/%.o $(TESTUTIL_SOBJ) $(B)/asan/libmlpserver.a $(B)/asan/libmlpcore.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CHECKLIBS) $(SRVLIBS) $(CORELIBS)

# RUN_PORT: another port where 8080 is taken (scripts/fresh-debian.sh).
RUN_PORT ?= 8080
run: all
	./$(B)/mlpd --bind 127.0.0.1 --port $(RUN_PORT) --db ./mlpd.db

# Unit tests: each binary is a check suite; CK_FORK=no keeps ASan's leak
# check in the process that allocated.
unit: $(UNIT_BIN) | $(B)/.test-deps
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

unit-asan: $(UNIT_SBIN) | $(B)/.test-deps
	@set -e; for t in $(UNIT_SBIN); do echo "== $$t (asan+ubsan)"; \
	  CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $$t; done

E2E := $(sort $(wildcard tests/e2e/*.sh))
# The scripts that check no time: no timeout, rate, latency or duration
# beyond the daemon's 10 s to stop (make test runs them in a lane of their
# own); every other script, and any new one, counts as timed.
E2E_PLAIN := $(addprefix tests/e2e/,activations.sh api_errors.sh api_happy.sh csv_json_same.sh export_import.sh \
               datasets.sh exercises.sh lab_static.sh lecture_step.sh openapi_live.sh realdata.sh restart.sh storage_faults.sh \
               users_cors.sh users_isolation.sh)
E2E_TIMED := $(filter-out $(E2E_PLAIN),$(E2E))
# $(call run_e2e,SCRIPTS): each against $(B)/mlpd, with its time.
run_e2e = @set -e; for t in $(1); do echo "== $$t"; s=$$(date +%s); MLPD_BIN=$(B)/mlpd bash $$t; \
            echo "== $$t: $$(( $$(date +%s) - s )) s"; done
.PHONY: e2e-plain e2e-timed
e2e: $(B)/mlpd browser-deps
	$(call run_e2e,$(E2E))
e2e-plain: $(B)/mlpd
	$(call run_e2e,$(filter $(E2E),$(E2E_PLAIN)))
e2e-timed: $(B)/mlpd browser-deps
	$(call run_e2e,$(E2E_TIMED))

# ---- layers ------------------------------------------------------------------
# server/ is in layer folders that include only the layers below them
# (README "How the code is laid out"); the checker reads every #include
# and fails on an upward include, a cycle, or sqlite3.h / microhttpd.h
# outside their layer. tests/layers/ checks the checker on planted faults.
.PHONY: check-layers check-layers-test
check-layers:
	@/usr/bin/python3 scripts/check-layers.py
check-layers-test:
	@bash tests/layers/check_layers_test.sh

# ---- PostgreSQL (issue 16) ---------------------------------------------------
# test-pg: the PostgreSQL backend's unit tests and the e2e scripts that run
# on either backend, against one throwaway cluster (scripts/test-pg.sh:
# started, each test on a fresh database, stopped and checked with pg_ctl
# status). The unit binaries also run in `make unit`, where without a
# cluster they say so and check nothing.
PG_UNIT_BIN := $(B)/tests/test_pg_conn $(B)/tests/test_pg_backend $(B)/tests/test_storage $(B)/tests/test_storage_jobs \
               $(B)/tests/test_storage_leases
# The e2e scripts that run on PostgreSQL too: every API script, in the
# two classes of E2E_PLAIN (no timing) and the rest. Not here: the HTTP
# layer's own (hostile_http, slowloris, serving_protocols, users_flood, the
# browsers, lab_static, blas_kernel, worker_nice: no storage in what they
# check), the SQLite file's own (crash_loop, jobs_crash, storage_faults:
# integrity_check, the file's CRC columns, a faulty VFS).
PG_E2E_PLAIN := $(addprefix tests/e2e/,activations.sh api_errors.sh api_happy.sh csv_json_same.sh \
                  datasets.sh exercises.sh export_import.sh lecture_step.sh openapi_live.sh realdata.sh \
                  restart.sh users_isolation.sh)
PG_E2E_TIMED := $(addprefix tests/e2e/,jobs_life.sh jobs_events.sh jobs_race.sh jobs_wait.sh \
                  dtype_float32.sh onnx_export.sh users_jobs.sh users_quotas.sh)
PG_E2E := $(PG_E2E_PLAIN) $(PG_E2E_TIMED)
# Several nodes behind nginx (tests/multinode/, each starts its own
# cluster with scripts/cluster.sh).
PG_MULTI := $(wildcard tests/multinode/*.sh)
PG_RUN = MLPD_BIN=$(B)/mlpd bash scripts/test-pg.sh
.PHONY: test-pg pg-plain pg-timed
# onnx_export.sh runs test_core_onnx for its scaler graphs.
PG_E2E_BIN := $(B)/mlpd $(B)/tests/test_core_onnx
test-pg: $(PG_UNIT_BIN) $(PG_E2E_BIN) | $(B)/.test-deps
	$(PG_RUN) --unit $(PG_UNIT_BIN) --e2e $(PG_E2E) --multi $(PG_MULTI)
# make test's halves of test-pg: the unit tests and the untimed scripts in
# the plain lane, the timed ones and the multi-node tests in a lane of
# their own (each half its own throwaway cluster).
pg-plain: $(PG_UNIT_BIN) $(B)/mlpd | $(B)/.test-deps
	$(PG_RUN) --unit $(PG_UNIT_BIN) --e2e $(PG_E2E_PLAIN)
pg-timed: $(PG_E2E_BIN) | $(B)/.test-deps
	$(PG_RUN) --e2e $(PG_E2E_TIMED) --multi $(PG_MULTI)

# bench-scale: the job claim rate (bench/pg/claims.c: 6 threads, each its
# own connection, FOR UPDATE SKIP LOCKED and the backend's fair pick, on a
# throwaway cluster; no job claimed twice or never), then predict and
# sample posts through nginx with 1 and 3 nodes under wrk, and a bare
# nginx for scale (scripts/bench-scale.sh; the CPU and the ratios printed).
$(B)/bench/pg-claims: bench/pg/claims.c $(B)/libmlpserver.a $(B)/libmlpcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libmlpserver.a $(B)/libmlpcore.a $(SRVLIBS) $(CORELIBS)
.PHONY: bench-scale
bench-scale: $(B)/bench/pg-claims $(B)/mlpd | $(B)/.test-deps bench-deps
	MLPD_BIN=$(B)/mlpd CLAIMS_BIN=$(B)/bench/pg-claims bash scripts/bench-scale.sh

# ---- several nodes (issue 16; README "Running several nodes") ---------------
# check-front: the Kubernetes manifest against the Kubernetes schema
# (scripts/check-k8s.mjs, kubernetes-models pinned in package.json: kubeconform
# is not in Debian; unknown fields are not caught, wrong types and missing
# required ones are), and scripts/nginx-mlpd.conf through `nginx -t`.
.PHONY: check-front check-k8s check-nginx
check-front: check-k8s check-nginx
check-k8s: npm-deps
	node scripts/check-k8s.mjs scripts/k8s/mlpd.yaml
check-nginx: | $(B)/.test-deps
	@mkdir -p $(B)/nginx-check
	@printf 'pid %s/pid;\nevents {}\nhttp { include %s; }\n' "$(abspath $(B))/nginx-check" \
	  "$(abspath scripts/nginx-mlpd.conf)" >$(B)/nginx-check/nginx.conf
	nginx -t -q -e $(abspath $(B))/nginx-check/error.log -c $(abspath $(B))/nginx-check/nginx.conf \
	  || { cat $(B)/nginx-check/error.log; exit 1; }
	@echo "nginx -t: scripts/nginx-mlpd.conf is valid"

# ---- numbers from scikit-learn (issue 13) -----------------------------------
# tests/unit/realdata_expected.h holds Debian's python3-sklearn answers for
# the core's scalers, metrics and schedules (test_core_realdata.c checks
# the core against them). This regenerates it and fails if sklearn now
# answers otherwise (tests/unit/compare_expected.py: the version comment
# may differ, numbers by 8 ulp at most: Debian 13's sklearn sums in
# another order than Debian 12's).
.PHONY: realdata-expected realdata-expected-check
realdata-expected:
	/usr/bin/python3 tests/unit/gen_realdata_expected.py > tests/unit/realdata_expected.h
realdata-expected-check: | $(B)/.test-deps
	@mkdir -p $(B)
	@/usr/bin/python3 tests/unit/gen_realdata_expected.py > $(B)/realdata_expected.h
	@/usr/bin/python3 tests/unit/compare_expected.py tests/unit/realdata_expected.h $(B)/realdata_expected.h && \
	  echo "realdata-expected-check: sklearn agrees with tests/unit/realdata_expected.h"

# ---- fuzzing (tests/fuzz/) -------------------------------------------------
# libFuzzer targets, built with Debian's clang over a third object tree
# ($(B)/fuzz/obj). `make fuzz FUZZ_SECONDS=60` runs each for that long;
# new inputs go to $(B)/fuzz/corpus/<t> (the seeds in the repo stay small),
# crashes to $(B)/fuzz/artifacts/<t>/: keep each one as a regression in
# tests/fuzz/regressions/<t>/ and fix the code. The replay binaries are
# gcc + ASan/UBSan builds feeding each corpus and regression file once
# (no clang needed).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := $(CSTD) $(WARN) $(DEFS) $(INC) -Itests/fuzz -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_common.c,$(wildcard tests/fuzz/fuzz_*.c)))
FZ           := $(B)/fuzz/obj
FUZZ_BIN     := $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_NAMES))
REPLAY_BIN   := $(patsubst %,$(B)/asan/fuzz/replay_%,$(FUZZ_NAMES))
FUZZ_LIB_OBJ := $(call objs,$(FZ),$(CORE_SRC) $(SERVER_SRC) tests/fuzz/fuzz_common.c) \
                $(FZ)/gen/openapi_yaml.o $(FZ)/gen/schema_sql.o $(FZ)/gen/pg_schema_sql.o \
                $(FZ)/gen/web_files.o
.SECONDARY: $(FUZZ_LIB_OBJ) $(call objs,$(FZ),$(wildcard tests/fuzz/*.c)) $(call objs,$(SAN),$(wildcard tests/fuzz/*.c))

$(FZ)/%.o: %.c | $(B)/.test-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(call objs,$(FZ),$(VMATH_SRC)): $(FZ)/core/%.o: core/%.c | $(B)/.test-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(VMATH_FLAGS) -MMD -MP -c $< -o $@
$(FZ)/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
$(B)/fuzz/fuzz_%: $(FZ)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(SRVLIBS) $(CORELIBS)

$(SAN)/tests/fuzz/%.o: tests/fuzz/%.c | $(B)/.test-deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -Itests/fuzz -g -O1 $(SAN_FLAGS) -MMD -MP -c $< -o $@
$(B)/asan/fuzz/replay_%: $(SAN)/tests/fuzz/fuzz_%.o $(SAN)/tests/fuzz/fuzz_common.o \
                         $(SAN)/tests/fuzz/replay_main.o $(B)/asan/libmlpserver.a $(B)/asan/libmlpcore.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(SRVLIBS) $(CORELIBS)

.PHONY: fuzz-build fuzz fuzz-short fuzz-replay
fuzz-build: $(FUZZ_BIN)

# Each corpus and regression input once, under ASan + UBSan.
fuzz-replay: $(REPLAY_BIN)
	@set -e; for t in $(FUZZ_NAMES); do \
	  printf '== replay %-9s ' $$t; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(B)/asan/fuzz/replay_$$t tests/fuzz/corpus/$$t tests/fuzz/regressions/$$t; done

# Each fuzzer for FUZZ_SECONDS; prints its runs and exec/s.
fuzz: $(FUZZ_BIN)
	@set -e; for t in $(FUZZ_NAMES); do \
	  mkdir -p $(B)/fuzz/corpus/$$t $(B)/fuzz/artifacts/$$t; \
	  dict=""; [ -f tests/fuzz/$$t.dict ] && dict="-dict=tests/fuzz/$$t.dict"; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  if ! ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=64 $(B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	      -max_len=65536 -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 $$dict \
	      -artifact_prefix=$(B)/fuzz/artifacts/$$t/ $(B)/fuzz/corpus/$$t tests/fuzz/corpus/$$t \
	      tests/fuzz/regressions/$$t >$(B)/fuzz/$$t.log 2>&1; then \
	    tail -n 60 $(B)/fuzz/$$t.log; \
	    echo "fuzz $$t: FAILED; the input is in $(B)/fuzz/artifacts/$$t/ (keep it in tests/fuzz/regressions/$$t/)"; exit 1; fi; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' $(B)/fuzz/$$t.log | tr '\n' ' '; \
	  echo "corpus now $$(ls $(B)/fuzz/corpus/$$t | wc -l) files: 0 crashes"; done

# What `make test` runs: 30 s per fuzzer.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30

# The daemon under valgrind memcheck through an API smoke test.
.PHONY: valgrind
valgrind: $(B)/mlpd | $(B)/.test-deps
	MLPD_BIN=$(B)/mlpd bash tests/valgrind/smoke.sh

# ---- static analysis -------------------------------------------------------
# cppcheck and clang-tidy (config: .clang-tidy) over core/ and server/,
# both clean: every finding fixed or suppressed inline with the reason.
.PHONY: lint lint-harden lint-cppcheck lint-tidy
LINT_SRC := $(CORE_SRC) $(SERVER_ALL)
TIDY_FLAGS := -std=c11 $(DEFS) $(INC)
lint: lint-harden lint-cppcheck lint-tidy
# Every release object is compiled with the hardening flags (checked on the
# commands make would run), and the daemon is linked PIE with full RELRO
# and calls fortified (__*_chk) functions. The sanitizer trees leave
# _FORTIFY_SOURCE out on purpose: its wrappers bypass ASan's checks.
lint-harden: $(B)/mlpd
	@$(MAKE) -s -B -n $(CORE_OBJ) $(SERVER_OBJ) $(REL)/server/main.o B=$(B) 2>/dev/null | grep -E ' -c [^ ]+\.c ' >$(B)/compile-commands.txt
	@n=$$(wc -l <$(B)/compile-commands.txt); \
	bad=$$(grep -v -e '-fstack-protector-strong' $(B)/compile-commands.txt; grep -v -e '-D_FORTIFY_SOURCE=2' $(B)/compile-commands.txt; \
	       grep -v -e '-Wformat=2' $(B)/compile-commands.txt; grep -v -E -e '-O[123]' $(B)/compile-commands.txt); \
	if [ -n "$$bad" ] || [ "$$n" -lt $(words $(CORE_OBJ) $(SERVER_OBJ)) ]; then echo "hardening flags missing:"; echo "$$bad"; exit 1; fi; \
	readelf -d $(B)/mlpd | grep -q BIND_NOW && readelf -lW $(B)/mlpd | grep -q GNU_RELRO && \
	  readelf -h $(B)/mlpd | grep -q 'DYN (' && nm -D $(B)/mlpd | grep -q '__.*_chk' \
	  || { echo "mlpd is not PIE + full RELRO + fortified"; exit 1; }; \
	echo "hardening: $$n objects with -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wformat=2 -O2/3; mlpd PIE, full RELRO, $$(nm -D $(B)/mlpd | grep -c '__.*_chk') fortified imports"
# normalCheckLevelMaxBranches: cppcheck 2.17 (Debian 13) notes that it
# limits its analysis of branches, and that note alone fails the run.
lint-cppcheck: | $(B)/.test-deps
	cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
	  --enable=warning,performance,portability --suppress=missingIncludeSystem \
	  --suppress=normalCheckLevelMaxBranches \
	  $(DEFS) -Icore -Iserver -I/usr/include/cjson core server
	@echo "cppcheck: clean over $(words $(LINT_SRC)) files"
lint-tidy: | $(B)/.test-deps
	@command -v clang-tidy >/dev/null || { echo "clang-tidy is not installed"; exit 1; }
	@printf '%s\n' $(LINT_SRC) | xargs -P 2 -I{} clang-tidy --quiet {} -- $(TIDY_FLAGS) 2>/dev/null \
	  | tee $(B)/clang-tidy.log | grep -E 'warning|error' && { echo "clang-tidy: findings above"; exit 1; } || true
	@echo "clang-tidy: clean over $(words $(LINT_SRC)) files"

# ThreadSanitizer: the daemon and the unit tests that run job workers,
# built into $(B)/tsan/, then those tests and one e2e run (concurrent
# predict, train, cancel, delete while training, SIGTERM) against the
# tsan daemon. Any report fails the target (halt_on_error, exitcode 66;
# reports of the daemon land in $(B)/tsan/report.PID). Suppressions:
# tests/tsan.supp (uninstrumented library internals only, each explained).
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
TSN := $(B)/tsan/obj
CORE_TOBJ   := $(call objs,$(TSN),$(CORE_SRC))
SERVER_TOBJ := $(call objs,$(TSN),$(SERVER_SRC))
TSAN_UNIT   := $(B)/tsan/tests/test_jobs $(B)/tsan/tests/test_server_api
# $(call tsan_env,NAME): reports go to $(B)/tsan/NAME.PID
tsan_env     = TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp log_path=$(abspath $(B))/tsan/$(1)"

# core/ is built without tsan: its target_clones ifunc resolvers (vmath,
# online, batch, tiny, train) run before the tsan runtime is up
# (instrumented, they crash the loader), and the core has no threads of its
# own: it computes on the calling thread's own arrays. The server, where
# the threads are, is instrumented.
$(CORE_TOBJ): $(TSN)/core/%.o: core/%.c | $(B)/.test-deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O2 $(VMATH_FLAGS) -MMD -MP -c $< -o $@
$(TSN)/%.o: %.c | $(B)/.test-deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(TSAN_FLAGS) -MMD -MP -c $< -o $@
$(TSN)/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(TSAN_FLAGS) -c $< -o $@
$(B)/tsan/libmlpcore.a: $(CORE_TOBJ)
	rm -f $@ && ar rcs $@ $^
$(B)/tsan/libmlpserver.a: $(SERVER_TOBJ) $(TSN)/gen/openapi_yaml.o $(TSN)/gen/schema_sql.o \
                          $(TSN)/gen/pg_schema_sql.o $(TSN)/gen/web_files.o
	rm -f $@ && ar rcs $@ $^
$(B)/tsan/mlpd: $(TSN)/server/main.o $(B)/tsan/libmlpserver.a $(B)/tsan/libmlpcore.a
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(SRVLIBS) $(CORELIBS)
$(B)/tsan/tests/%: $(TSN)/tests/unit/%.o $(B)/tsan/libmlpserver.a $(B)/tsan/libmlpcore.a
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(CHECKLIBS) $(SRVLIBS) $(CORELIBS)

# Two halves with their own report files, so that make test can run them
# in different lanes: the unit tests (no timing) and the e2e run.
.PHONY: tsan-unit tsan-e2e
tsan: tsan-unit tsan-e2e
tsan-unit: $(TSAN_UNIT)
	@rm -f $(B)/tsan/unit-report.*
	@set -e; for t in $(TSAN_UNIT); do echo "== $$t (tsan)"; \
	  CK_FORK=no $(call tsan_env,unit-report) $$t || { cat $(B)/tsan/unit-report.* 2>/dev/null; exit 1; }; done
	@if ls $(B)/tsan/unit-report.* >/dev/null 2>&1; then cat $(B)/tsan/unit-report.*; echo "tsan: reports above"; exit 1; fi
	@echo "tsan: unit tests, no reports"
tsan-e2e: $(B)/tsan/mlpd
	@rm -f $(B)/tsan/report.*
	@echo "== tests/e2e/jobs_race.sh against $(B)/tsan/mlpd"
	@$(call tsan_env,report) MLPD_BIN=$(B)/tsan/mlpd bash tests/e2e/jobs_race.sh || { cat $(B)/tsan/report.* 2>/dev/null; exit 1; }
	@if ls $(B)/tsan/report.* >/dev/null 2>&1; then cat $(B)/tsan/report.*; echo "tsan: reports above"; exit 1; fi
	@echo "tsan: no reports"
# The lease code (ticker renewals, the fence, the database listener's job
# notifications) runs only on PostgreSQL: tests/multinode/leases.sh with
# three tsan daemons (in the pg lane).
.PHONY: tsan-multinode
tsan-multinode: $(B)/tsan/mlpd | $(B)/.test-deps
	@rm -f $(B)/tsan/multi.*
	@echo "== tests/multinode/leases.sh against $(B)/tsan/mlpd"
	@$(call tsan_env,multi) MLPD_BIN=$(B)/tsan/mlpd bash tests/multinode/leases.sh || { cat $(B)/tsan/multi.* 2>/dev/null; exit 1; }
	@if ls $(B)/tsan/multi.* >/dev/null 2>&1; then cat $(B)/tsan/multi.*; echo "tsan: reports above"; exit 1; fi
	@echo "tsan: no reports"

# bench/*_bench.c are programs; every other bench/*.c is a helper linked
# into each of them.
BENCH_SRC     := $(wildcard bench/*_bench.c)
BENCH_LIB_SRC := $(filter-out $(BENCH_SRC),$(wildcard bench/*.c))
BENCH_BIN     := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))
BENCH_OBJ     := $(call objs,$(REL),$(BENCH_SRC))
BENCH_LIB_OBJ := $(call objs,$(REL),$(BENCH_LIB_SRC))
.SECONDARY: $(BENCH_OBJ) $(BENCH_LIB_OBJ)

$(REL)/bench/%.o: bench/%.c | bench-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 -c $< -o $@

# Each benchmark picks the BLAS kernel as the daemon does (blas_select.c).
$(B)/bench/%: $(REL)/bench/%.o $(BENCH_LIB_OBJ) $(REL)/server/util/blas_select.o $(B)/libmlpcore.a | bench-deps
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ -ldoublefann $(CORELIBS)

# bench-storage: a storage-heavy loop through storage.h only
# (bench/storage/storage_ops.c: posts, versions, a job's batches, reads)
# under callgrind; prints the instruction count of the whole run, the
# number to compare before and after a change to storage/.
$(B)/bench/storage_ops: bench/storage/storage_ops.c $(B)/libmlpserver.a $(B)/libmlpcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libmlpserver.a $(B)/libmlpcore.a $(SRVLIBS) $(CORELIBS)
.PHONY: bench-storage
bench-storage: $(B)/bench/storage_ops
	@d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	  valgrind --tool=callgrind --callgrind-out-file=$$d/cg.out $< $$d/bench.db 10 2>$$d/vg.log \
	  || { cat $$d/vg.log; exit 1; }; \
	  grep -o 'Collected : [0-9]*' $$d/vg.log | sed 's/Collected : /storage_ops: instructions (Ir): /'

# The core benchmark alone (no daemon needed), then the HTTP one.
.PHONY: bench-core
bench-core: bench-deps $(BENCH_BIN)
	@set -e; for b in $(BENCH_BIN); do echo "== $$b"; ./$$b; done

bench: bench-core http-bench jobs-bench

# npm tools (linters, the live OpenAPI check, onnxruntime-node) only for
# tests: pinned in
# package-lock.json, installed by `npm ci` when node_modules is missing or
# older than the lock file. Every tool runs on Debian 12's Node.js 18.20.4
# (nodejs + npm, test group); @redocly/cli 1.34 needs >= 18.17.
.PHONY: npm-deps lint-openapi lint-docker http-bench
npm-deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json | $(B)/.test-deps
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>18||(a===18&&b>=17)?0:1)' \
	  || { echo "npm-deps: Node.js >= 18.17 is needed for the linters and e2e tools (node is $$(node --version))"; exit 1; }
	ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
	node scripts/check-node-engines.mjs 18.20.4
	@touch $@

lint-openapi: npm-deps
	npx --no-install redocly lint openapi.yaml --format=summary

lint-docker: npm-deps
	npx --no-install dockerfilelint Dockerfile

# HTTP benchmark: a bare libmicrohttpd responder beside mlpd, under wrk.
$(B)/bench/http-bare: bench/http/bare.c | bench-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -lmicrohttpd -pthread

http-bench: bench-deps $(B)/mlpd $(B)/bench/http-bare
	MLPD_BIN=$(B)/mlpd BARE_BIN=$(B)/bench/http-bare bash scripts/bench-http.sh

# Jobs benchmark: a 2000-epoch job through the API against mlp_train
# directly, and predict requests/s while two jobs train.
.PHONY: jobs-bench
$(B)/bench/jobs-direct: bench/jobs/direct.c $(B)/libmlpcore.a | bench-deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 -o $@ $< $(B)/libmlpcore.a $(CORELIBS)

jobs-bench: bench-deps $(B)/mlpd $(B)/bench/jobs-direct
	MLPD_BIN=$(B)/mlpd DIRECT_BIN=$(B)/bench/jobs-direct bash scripts/bench-jobs.sh

# ---- make test ---------------------------------------------------------------
# Every check, in two stages (README "Tests"):
#  1. test-build: every object tree (release, asan, tsan, fuzz) and every
#     binary a check runs, once, in one `make -j2`, plus the npm tools and
#     the browser. test-run then refuses to start if anything is left to
#     build, so no lane compiles (and no two lanes compile one file).
#  2. test-run (scripts/test-lanes.sh): six lanes side by side, each a
#     fixed sequence of the targets below, each logged to
#     $(B)/test/<lane>.log (printed at the end, one lane after the other,
#     then each target's wall and CPU seconds). A lane stops at its first
#     failure, the others go on; make test fails if any lane failed.
#       timed   the e2e scripts that measure time (timeouts, progress each
#               second, rates, a latency ratio), the tsan daemon's run,
#               valgrind: one at a time, normal priority;
#       plain   the e2e scripts that measure no time, one at a time, then
#               the unit tests;
#       pg      PostgreSQL: the multi-node tests and the timed e2e scripts
#               on it, then the unit tests and the untimed e2e scripts on
#               it (each half a throwaway cluster), then leases.sh with
#               tsan daemons, normal priority;
#       checks  linters, the layer check, the unit tests under TSan:
#               CPU-bound, no timing, nice 10;
#       fuzz    30 s per fuzzer, then the fuzz corpus replay, nice 10;
#       asan    the unit tests under ASan+UBSan, nice 10.
#     Every daemon listens on a free port and every suite has its own
#     temporary files (and PostgreSQL cluster), so the lanes share only the
#     CPUs, and the niced ones yield them to the three that run daemons.
LANE_timed  := e2e-timed tsan-e2e valgrind
LANE_plain  := e2e-plain unit
LANE_pg     := pg-timed pg-plain tsan-multinode
LANE_checks := lint-openapi lint-docker lint check-layers check-layers-test realdata-expected-check \
               check-front tsan-unit
# unit-asan in a lane of its own: on a clean clone (2 idle cores) checks
# took 730 s with it, fuzz 259 s, asan 576 s.
LANE_fuzz   := fuzz-short fuzz-replay
LANE_asan   := unit-asan
NICE_timed  :=
NICE_plain  :=
NICE_pg     :=
NICE_checks := nice -n 10
NICE_fuzz   := nice -n 10
NICE_asan   := nice -n 10
TEST_LANES  := timed plain pg checks fuzz asan
# What test-build makes (files, so that `make -q` can tell they are current).
TEST_BUILT  := $(B)/mlpd $(UNIT_BIN) $(UNIT_SBIN) $(REPLAY_BIN) $(FUZZ_BIN) \
               $(B)/tsan/mlpd $(TSAN_UNIT)

.PHONY: test test-build test-run
test: test-deps
	@t0=$$(date +%s); $(MAKE) --no-print-directory -j2 test-build && \
	  echo "make test: test-build took $$(( $$(date +%s) - t0 )) s" && \
	  $(MAKE) --no-print-directory test-run; rc=$$?; \
	echo "make test: $$(( $$(date +%s) - t0 )) s in all"; exit $$rc

test-build: $(TEST_BUILT) npm-deps browser-deps

test-run:
	@$(MAKE) --no-print-directory -q $(TEST_BUILT) || \
	  { echo "make test: test-build left something to build"; exit 1; }
	@MAKE="$(MAKE)" bash scripts/test-lanes.sh $(B)/test \
	  $(foreach l,$(TEST_LANES),'$(l)|$(NICE_$(l))|$(LANE_$(l))')

# The README's two commands on a stock Debian in a debootstrap chroot
# (scripts/fresh-debian.sh; as root, half an hour or more, not in `make
# test`). FRESH_SUITE: bookworm or trixie; FRESH_REF: a ref or a checkout.
FRESH_SUITE ?= bookworm
FRESH_REF   ?= HEAD
.PHONY: fresh-check
fresh-check:
	bash scripts/fresh-debian.sh $(FRESH_SUITE) $(FRESH_REF)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- BLAS alternatives (issue 17) --------------------------------------------
# The wide and digits benchmarks linked three ways: OpenBLAS (as shipped;
# scripts/bench-blas.sh also forces its best family), Debian's BLIS (serial,
# picks kernels by CPU features) and the core's own loops for every layer
# (batch.c and batch32.c built with BLAS_MIN_WEIGHTS beyond any layer,
# linked before libmlpcore.a so the archive's copies are not pulled in).
BLISDIR := /usr/lib/$(MULTIARCH)/blis-serial
ALT := $(B)/bench-alt
.SECONDARY: $(ALT)/loops/batch.o $(ALT)/loops/batch32.o
$(ALT)/loops/%.o: core/%.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 -fno-math-errno -DBLAS_MIN_WEIGHTS='((size_t)-1)' -c $< -o $@
$(ALT)/%_blis: $(REL)/bench/%.o $(BENCH_LIB_OBJ) $(REL)/server/util/blas_select.o $(B)/libmlpcore.a | bench-deps
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ -ldoublefann -L$(BLISDIR) -Wl,-rpath,$(BLISDIR) -lblis -lmvec -lm
$(ALT)/%_loops: $(REL)/bench/%.o $(BENCH_LIB_OBJ) $(REL)/server/util/blas_select.o \
                $(ALT)/loops/batch.o $(ALT)/loops/batch32.o $(B)/libmlpcore.a | bench-deps
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ -ldoublefann $(CORELIBS)

# A class: 30 users submit a job each at once while predicts go on
# (scripts/bench-class.sh), for --workers 1, 2 and 3.
.PHONY: bench-class
bench-class: $(B)/mlpd
	MLPD_BIN=$(B)/mlpd bash scripts/bench-class.sh

# The wide job of issue 17 through the API, float64 against float32.
.PHONY: bench-wide-api
bench-wide-api: $(B)/mlpd
	MLPD_BIN=$(B)/mlpd /usr/bin/python3 scripts/bench_wide_api.py

.PHONY: bench-blas
bench-blas: bench-deps $(B)/bench/core_bench $(B)/bench/wide_bench \
            $(ALT)/core_bench_blis $(ALT)/wide_bench_blis $(ALT)/core_bench_loops $(ALT)/wide_bench_loops
	B=$(B) bash scripts/bench-blas.sh
