# mlpd in a container: the same steps as the README's "Docker" section.
#   docker build -t mlpd .
#   docker run -p 8080:8080 -v mlpd-data:/data mlpd
# Stage 1 builds with the -dev packages; stage 2 holds only the runtime
# libraries, the binary and curl (for the health check).

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gcc libc6-dev make pkg-config check curl \
      libmicrohttpd-dev libcjson-dev libsqlite3-dev libsodium-dev libopenblas-serial-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make B=/build /build/mlpd

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libcjson1 libsqlite3-0 libsodium23 libopenblas0-serial curl \
 && rm -rf /var/lib/apt/lists/* \
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
