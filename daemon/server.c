/* server.c - the main thread's side of the server: listening sockets, accepting and
 * handing connections to workers, signals and a clean shutdown. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "daemon/cmd.h"
#include "daemon/log.h"
#include "daemon/server.h"

struct server server;

static const char max_clients_err[] = "-ERR max number of clients reached\r\n";

/* A new connection on a listener (main thread): refuse it past maxclients with Redis'
 * error, otherwise give it to the next worker. */
static void server_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                             int salen, void *arg)
{
    OMK_UNUSED(l);
    OMK_UNUSED(sa);
    OMK_UNUSED(salen);
    OMK_UNUSED(arg);
    if (atomic_load(&server.shutting_down)) {
        evutil_closesocket(fd);
        return;
    }
    if (atomic_load(&server.connected_clients) >= server.cfg.maxclients) {
        /* Best effort, as Redis: the socket is fresh, so the short write fits. */
        ssize_t r = write(fd, max_clients_err, sizeof(max_clients_err) - 1);

        OMK_UNUSED(r);
        evutil_closesocket(fd);
        atomic_fetch_add(&server.rejected_connections, 1);
        return;
    }
    atomic_fetch_add(&server.connected_clients, 1);
    atomic_fetch_add(&server.total_connections, 1);
    worker_dispatch(fd);
}

/* Accepting failed (EMFILE and friends): log it; libevent keeps the listener armed. */
static void server_accept_error_cb(struct evconnlistener *l, void *arg)
{
    int err = EVUTIL_SOCKET_ERROR();

    OMK_UNUSED(l);
    OMK_UNUSED(arg);
    OMK_LOG_RATELIMITED(OMK_LOG_WARNING, "Error accepting a client connection: %s",
                        evutil_socket_error_to_string(err));
}

int server_listen(void)
{
    for (int i = 0; i < server.cfg.bind.n && server.nlisteners < OMK_MAX_LISTENERS; i++) {
        const char *addr = server.cfg.bind.v[i];
        struct sockaddr_storage ss;
        int sslen = sizeof(ss);
        char spec[512];
        struct evconnlistener *l;

        if (addr[0] == '-')
            addr++; /* "-::1": optional address, as Redis */
        if (strchr(addr, ':'))
            snprintf(spec, sizeof(spec), "[%s]:%d", addr, server.cfg.port);
        else
            snprintf(spec, sizeof(spec), "%s:%d", addr, server.cfg.port);
        if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sslen) != 0) {
            omk_log(OMK_LOG_WARNING, "Invalid bind address '%s'", addr);
            return -1;
        }
        l = evconnlistener_new_bind(server.main_base, server_accept_cb, NULL,
                                    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
                                    server.cfg.tcp_backlog, (struct sockaddr *)&ss, sslen);
        if (!l) {
            if (server.cfg.bind.v[i][0] == '-')
                continue;
            omk_log(OMK_LOG_WARNING, "Could not create server TCP listening socket %s: %s", spec,
                    strerror(errno));
            return -1;
        }
        evconnlistener_set_error_cb(l, server_accept_error_cb);
        server.listeners[server.nlisteners++] = l;
    }
    return server.nlisteners > 0 ? 0 : -1;
}

void server_unlisten(void)
{
    for (int i = 0; i < server.nlisteners; i++)
        evconnlistener_free(server.listeners[i]);
    server.nlisteners = 0;
}

void server_request_shutdown(void)
{
    atomic_store(&server.shutting_down, 1);
    kill(getpid(), SIGTERM); /* the main loop's signal event does the rest */
}

void server_reset_stats(void)
{
    for (int i = 0; i < cmd_table_len; i++) {
        atomic_store(&cmd_table_stats[i].calls, 0);
        atomic_store(&cmd_table_stats[i].usec, 0);
        atomic_store(&cmd_table_stats[i].rejected, 0);
        atomic_store(&cmd_table_stats[i].failed, 0);
    }
    for (int w = 0; w < server.nworkers; w++) {
        struct worker_stats *st = &server.workers[w].stats;

        atomic_store(&st->commands, 0);
        atomic_store(&st->net_in_bytes, 0);
        atomic_store(&st->net_out_bytes, 0);
        atomic_store(&st->keyspace_hits, 0);
        atomic_store(&st->keyspace_misses, 0);
    }
    atomic_store(&server.total_connections, 0);
    atomic_store(&server.rejected_connections, 0);
}

long long server_uptime_s(void)
{
    return (omk_mono_us() - server.start_mono_us) / 1000000;
}
