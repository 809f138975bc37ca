/* clientinfo.h - CLIENT LIST, CLIENT INFO and CLIENT KILL (clientinfo.c): the text Redis
 * 7.0 gives for each client, field for field, and killing by filters, across workers. */
#ifndef OMK_DAEMON_CLIENTINFO_H
#define OMK_DAEMON_CLIENTINFO_H

struct client;

/* Record what CLIENT LIST shows of 'c' in c->snap, for the other workers to read. Owner
 * thread, after a read callback and after its output is written. */
void client_snapshot(struct client *c);

/* CLIENT LIST [TYPE type | ID id ...], CLIENT INFO, CLIENT KILL (both forms): the
 * subcommand handlers, on the request in c->argv. */
void client_list_sub(struct client *c);
void client_info_sub(struct client *c);

/* Append c's CLIENT LIST line to 'b' (the ACL LOG's client-info). Owner thread. */
void client_describe_self(struct evbuffer *b, struct client *c);
void client_kill_sub(struct client *c);

#endif
