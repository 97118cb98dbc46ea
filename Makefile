# mlpd - build, run, test, benchmark.
#
# `make run` and `make test` are all the set-up a fresh Debian 12 machine
# needs: missing Debian packages are installed first (apt-get, as root).
#
# Layout of $(B)/:
#   build/mlpd                  the daemon
#   build/libmlpcore.a          core/ (backprop library)
#   build/libmlpserver.a        server/ without main.c
#   build/tests/*               unit test binaries (check)
#   build/asan/...              the same, under AddressSanitizer + UBSan

B       ?= build
CC      ?= cc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BLASDIR := /usr/lib/$(MULTIARCH)/openblas-serial
BLASINC := /usr/include/$(MULTIARCH)/openblas-serial

# Debian packages: to build and test, and (extra) to benchmark.
PKGS       := pkg-config libmicrohttpd-dev libcjson-dev libsqlite3-dev libsodium-dev check \
              libopenblas-serial-dev curl python3
BENCH_PKGS := libfann-dev wrk

WARN    := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wvla
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2
DEFS    := -D_GNU_SOURCE
INC     := -I. -Icore -Iserver -I/usr/include/cjson -I$(BLASINC)
CSTD    := -std=c11
OPT     ?= -O2
CFLAGS  := $(CSTD) $(WARN) $(DEFS) $(INC) -g $(OPT) $(HARDEN) -MMD -MP
BLASLIB := -L$(BLASDIR) -Wl,-rpath,$(BLASDIR) -lopenblas
CORELIBS := $(BLASLIB) -lmvec -lm
# core/vmath.c: flags that let glibc's headers map exp/tanh to libmvec.
VMATH_FLAGS := -fopenmp-simd -fno-math-errno -D__FAST_MATH__
SRVLIBS := -lmicrohttpd -lcjson -lsqlite3 -lsodium -pthread
CHECKLIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lm -pthread)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

CORE_SRC   := $(wildcard core/*.c)
SERVER_SRC := $(filter-out server/main.c,$(wildcard server/*.c))
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

.PHONY: all deps bench-deps run test unit unit-asan e2e bench clean
.DEFAULT_GOAL := all

all: deps $(B)/mlpd

# Install what is missing, once (the stamp remembers the package list).
deps: $(B)/.deps
$(B)/.deps: Makefile
	@mkdir -p $(B)
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@touch $@

bench-deps: deps
	@missing=""; for p in $(BENCH_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(REL)/%.o: %.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The core's inner loops are worth -O3 (vectorised dot products).
$(REL)/core/%.o: core/%.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 -c $< -o $@

$(REL)/core/vmath.o: core/vmath.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O3 $(VMATH_FLAGS) -c $< -o $@

$(SAN)/core/vmath.o: core/vmath.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(SAN_FLAGS) $(VMATH_FLAGS) -MMD -MP -c $< -o $@

$(SAN)/%.o: %.c | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(B)/libmlpcore.a: $(CORE_OBJ)
	ar rcs $@ $^
$(B)/libmlpserver.a: $(SERVER_OBJ)
	ar rcs $@ $^
$(B)/asan/libmlpcore.a: $(CORE_SOBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^
$(B)/asan/libmlpserver.a: $(SERVER_SOBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

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

# schema/NNNN_*.sql are embedded as $(B)/gen/schema_sql.c (storage.c applies
# them), so the daemon needs no schema/ folder at run time.
GEN_SCHEMA := $(B)/gen/schema_sql.c
$(GEN_SCHEMA): $(wildcard schema/*.sql) scripts/embed-schema.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-schema.sh schema $@
$(REL)/gen/schema_sql.o: $(GEN_SCHEMA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(SAN)/gen/schema_sql.o: $(GEN_SCHEMA)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(DEFS) $(INC) -g -O1 $(SAN_FLAGS) -c $< -o $@
$(B)/libmlpserver.a: $(REL)/gen/schema_sql.o
$(B)/asan/libmlpserver.a: $(SAN)/gen/schema_sql.o

$(B)/mlpd: $(REL)/server/main.o $(B)/libmlpserver.a $(B)/libmlpcore.a
	$(CC) $(CFLAGS) -o $@ $^ $(SRVLIBS) $(CORELIBS)
$(B)/asan/mlpd: $(SAN)/server/main.o $(B)/asan/libmlpserver.a $(B)/asan/libmlpcore.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(SRVLIBS) $(CORELIBS)

$(B)/tests/%: $(REL)/tests/unit/%.o $(TESTUTIL_OBJ) $(B)/libmlpserver.a $(B)/libmlpcore.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(CHECKLIBS) $(SRVLIBS) $(CORELIBS)
$(B)/asan/tests/%: $(SAN)/tests/unit/%.o $(TESTUTIL_SOBJ) $(B)/asan/libmlpserver.a $(B)/asan/libmlpcore.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CHECKLIBS) $(SRVLIBS) $(CORELIBS)

run: all
	./$(B)/mlpd --bind 127.0.0.1 --port 8080 --db ./mlpd.db

# Unit tests: each binary is a check suite; CK_FORK=no keeps ASan's leak
# check in the process that allocated.
unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; ./$$t; done

unit-asan: $(UNIT_SBIN)
	@set -e; for t in $(UNIT_SBIN); do echo "== $$t (asan+ubsan)"; \
	  CK_FORK=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./$$t; done

E2E := $(sort $(wildcard tests/e2e/*.sh))
e2e: $(B)/mlpd
	@set -e; for t in $(E2E); do echo "== $$t"; MLPD_BIN=$(B)/mlpd bash $$t; done

test: deps all npm-deps lint-openapi lint-docker unit unit-asan e2e
	@echo "make test: all suites passed"

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

$(B)/bench/%: $(REL)/bench/%.o $(BENCH_LIB_OBJ) $(B)/libmlpcore.a | bench-deps
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ -ldoublefann $(CORELIBS)

# The core benchmark alone (no daemon needed), then the HTTP one.
.PHONY: bench-core
bench-core: bench-deps $(BENCH_BIN)
	@set -e; for b in $(BENCH_BIN); do echo "== $$b"; ./$$b; done

bench: bench-core http-bench

# npm tools (linters, the live OpenAPI check) only for tests: pinned in
# package-lock.json, installed by `npm ci` when node_modules is missing or
# older than the lock file. Needs Node.js >= 20.19 (Debian 12's is older).
.PHONY: npm-deps lint-openapi lint-docker http-bench
npm-deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
	  || { echo "npm-deps: Node.js >= 20.19 is needed for the linters and e2e tools"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
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

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
