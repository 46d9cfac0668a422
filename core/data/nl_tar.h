/* Reading tar archives (POSIX ustar, GNU and pax variants) from a buffer in memory.
 * Entries point into the buffer: nothing is copied or allocated. Headers are checked
 * (checksum, sizes, bounds) so a corrupt archive gives an error, never a bad read. */
#ifndef NL_TAR_H
#define NL_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_status.h"

#define NL_TAR_NAME_MAX 1024 /* longer (GNU or pax) names are cut, with name_truncated set */

typedef struct {
    char name[NL_TAR_NAME_MAX]; /* full path: ustar prefix + "/" + name, or the long name */
    int name_truncated;
    char type;                  /* '0' regular file ('\0' and '7' are reported as '0'),
                                 * '5' directory, '2' symlink, ... */
    const uint8_t *data;        /* contents inside the archive buffer */
    size_t size;
} nl_tar_entry;

typedef struct {
    const uint8_t *buf;
    size_t len, pos;   /* pos: offset of the next header */
    int done;
} nl_tar_reader;

void nl_tar_init(nl_tar_reader *r, const uint8_t *buf, size_t len);

/* Reads the next entry (GNU long-name and pax headers are applied, not returned).
 * Returns 1 with *e filled, 0 at the end of the archive (a zero block or the end of the
 * buffer at a header boundary), or -1 on a corrupt archive with st set to NL_EFORMAT. */
int nl_tar_next(nl_tar_reader *r, nl_tar_entry *e, nl_status *st);

/* Nonzero if buf starts with a tar header whose checksum is right. */
int nl_tar_looks_valid(const uint8_t *buf, size_t len);

#endif
