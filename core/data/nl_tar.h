/* Reading tar archives (POSIX ustar, GNU and pax variants) incrementally: the archive arrives
 * in pieces of any size (a decompressor's output, a network stream) and entries come out as
 * a header followed by pieces of their data, which point into the caller's input. Nothing is
 * allocated and nothing is buffered beyond one 512-byte header. Headers are checked
 * (checksum, sizes) so a corrupt archive gives an error, never a bad read.
 *
 * nl_tar_reader is the same over one buffer in memory, with each entry's data in one piece. */
#ifndef NL_TAR_H
#define NL_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_status.h"

#define NL_TAR_NAME_MAX 1024 /* longer (GNU or pax) names are cut, with name_truncated set */
#define NL_TAR_BLOCK 512

typedef struct {
    char name[NL_TAR_NAME_MAX]; /* full path: ustar prefix + "/" + name, or the long name */
    int name_truncated;
    char type;                  /* '0' regular file ('\0' and '7' are reported as '0'),
                                 * '5' directory, '2' symlink, ... */
    const uint8_t *data;        /* nl_tar_reader only: contents inside the archive buffer */
    uint64_t size;
} nl_tar_entry;

/* ---- incremental ---- */

enum {
    NL_TAR_NEED_MORE = 0, /* the input is used up: call again with the next piece */
    NL_TAR_ENTRY = 1,     /* s->entry holds the next entry (its data follows as NL_TAR_DATA) */
    NL_TAR_DATA = 2,      /* *data, *data_len: the next piece of the current entry's data */
    NL_TAR_END = 3        /* end-of-archive block: any further input is ignored */
};

typedef struct {
    int state;                /* internal: what the next input bytes are */
    uint8_t header[NL_TAR_BLOCK];
    size_t have;              /* bytes of header[] filled */
    uint64_t left, pad;       /* data bytes left in the current entry; padding after it */
    uint64_t offset;          /* bytes consumed so far (for messages) */
    uint64_t entry_size;
    nl_tar_entry entry;       /* the current entry (data is NULL) */
    char long_name[NL_TAR_NAME_MAX]; /* from a GNU 'L' or pax 'x' entry, for the next header */
    size_t long_len;
    int have_long, long_truncated;
    /* pax record being parsed: "<len> <key>=<value>\n" */
    int pax_phase;
    uint64_t pax_rec_len, pax_rec_pos;
    char pax_key[8];
    size_t pax_key_len;
    int pax_is_path, pax_key_long;
} nl_tar_stream;

void nl_tar_stream_init(nl_tar_stream *s);

/* Consumes input from *in / *in_len (advancing both) until something happens; returns one of
 * the NL_TAR_* values above, or -1 on a corrupt archive with st set to NL_EFORMAT (then the
 * stream stays failed). GNU long-name and pax headers are applied, not returned. */
int nl_tar_stream_next(nl_tar_stream *s, const uint8_t **in, size_t *in_len, const uint8_t **data,
                       size_t *data_len, nl_status *st);

/* Call when the input has ended: 0 if the archive is complete (end block seen, or the input
 * stopped at an entry boundary or in the last entry's padding), -1 with st if it was cut. */
int nl_tar_stream_finish(nl_tar_stream *s, nl_status *st);

/* ---- whole buffer ---- */

typedef struct {
    const uint8_t *buf;
    size_t len, pos;   /* pos: bytes consumed */
    int done;
    nl_tar_stream s;
} nl_tar_reader;

void nl_tar_init(nl_tar_reader *r, const uint8_t *buf, size_t len);

/* Reads the next entry with its data as one piece (e->data into the buffer). Returns 1 with
 * *e filled, 0 at the end of the archive (a zero block or the end of the buffer at a header
 * boundary), or -1 on a corrupt archive with st set to NL_EFORMAT. */
int nl_tar_next(nl_tar_reader *r, nl_tar_entry *e, nl_status *st);

/* Nonzero if buf starts with a tar header whose checksum is right. */
int nl_tar_looks_valid(const uint8_t *buf, size_t len);

#endif
