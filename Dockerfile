# mlpd in a container: the same steps as the README's "Docker" section.
#   docker build -t mlpd .
#   docker run -p 8080:8080 -v mlpd-data:/data mlpd
# Stage 1 builds with the -dev packages; stage 2 holds only the runtime
# libraries, the binary and curl (for the health check). Both install from
# the Makefile's list, scripts/packages.txt (groups build and runtime),
# through the Makefile's script; the package layer comes before the
# sources so that it is cached across source changes.

FROM debian:bookworm-slim AS build
COPY scripts/packages.txt scripts/install-deps.sh /src/scripts/
RUN sh /src/scripts/install-deps.sh --no-recommends --clean build
WORKDIR /src
COPY . .
RUN make B=/build /build/mlpd

FROM debian:bookworm-slim
COPY scripts/packages.txt scripts/install-deps.sh /tmp/deps/
RUN sh /tmp/deps/install-deps.sh --no-recommends --clean runtime \
 && rm -rf /tmp/deps \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin mlpd \
 && mkdir -p /data \
 && chown mlpd:mlpd /data \
 && chmod 0700 /data
COPY --from=build /build/mlpd /usr/local/bin/mlpd
USER mlpd
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# Inside the container the daemon must listen on every interface so that
# the published port reaches it; outside, publish it on 127.0.0.1 only if
# the host should not be reachable from the network. Without tokens mlpd
# refuses a non-loopback address unless forced (--insecure-no-auth): the
# container's 0.0.0.0 is what the published port makes of it. For a class,
# run with -e MLPD_AUTH=token (see the README).
CMD ["mlpd", "--bind", "0.0.0.0", "--port", "8080", "--db", "/data/mlpd.db", "--insecure-no-auth"]
