/* list.h - what the list operations (store/ops_list.c) offer the rest of store/
 * (module-private): the COPY of a split list, whose records are keyed by sequence
 * number (format.h) and so cannot go through the collection builder (coll.h), which
 * writes records keyed by position. */
#ifndef OMK_STORE_LIST_H
#define OMK_STORE_LIST_H

#include "store/store_internal.h"

/* COPY of key 0 of locked write operation 'op', a live split list (looked up), to key 1
 * (looked up; whatever it holds is replaced): the elements are written under a new id,
 * numbered from FMT_LIST_SEQ0, in batches of about COLL_CHUNK_BYTES, before the new
 * top-level record goes into the operation's write set last (the id is live from before
 * its first chunk, so the element filter keeps every chunk). Ends 'op' and returns its
 * outcome: STORE_OK, STORE_ERR_VALUE (the list is damaged), or an error (the chunks
 * written are then under a dead id, which compaction drops). */
int list_copy_split(struct store_op *op);

#endif
