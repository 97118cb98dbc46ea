/*
 * bare.c - the floor for the HTTP benchmark: a libmicrohttpd responder with
 * the daemon's flags (internal epoll thread pool, the same connection
 * options) that drains any request body and answers a fixed small JSON
 * body on the call after the last upload chunk, as mlpd does. What mlpd
 * costs beyond this is routing, JSON, storage and the network itself.
 *
 * usage: http-bare PORT [THREADS]   (listens on 127.0.0.1 only; SIGTERM
 * or SIGINT stops it)
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char BODY[] = "{\"outputs\":[[0.3629064177467136]],\"version\":1}";
static struct MHD_Response *canned;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* First call: mark the request as seen. Upload calls: drop the chunk.
 * Last call (no more data): queue the canned answer. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    static int seen;
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    if (*req_cls == NULL) {
        *req_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, canned);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
    }
    long port = strtol(argv[1], NULL, 10);
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 2 * sysconf(_SC_NPROCESSORS_ONLN);
    if (port < 1 || port > 65535 || threads < 1 || threads > 1024) {
        fprintf(stderr, "bare: bad port or thread count\n");
        return 2;
    }
    canned = MHD_create_response_from_buffer(sizeof BODY - 1, (void *)BODY,
                                             MHD_RESPMEM_PERSISTENT);
    if (!canned)
        return 1;
    MHD_add_response_header(canned, "Content-Type", "application/json");
    MHD_add_response_header(canned, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(canned, "Cache-Control", "no-store");

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
        on_request, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
        MHD_OPTION_CONNECTION_TIMEOUT, 10u,
        MHD_OPTION_CONNECTION_LIMIT, 1000u,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bare: cannot listen on 127.0.0.1:%ld\n", port);
        MHD_destroy_response(canned);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop)
        sleep(1); /* a signal cuts the sleep short */
    MHD_stop_daemon(d);
    MHD_destroy_response(canned);
    return 0;
}
