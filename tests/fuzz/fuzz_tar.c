/* libFuzzer target: the tar reader. The input's last byte picks a piece size; the archive
 * (the rest) is read once whole (nl_tar_reader) and once fed in pieces of that size
 * (nl_tar_stream): both must see the same entries with the same data, and the same outcome. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/nl_tar.h"

#define MAX_ENTRIES 64

typedef struct {
    char name[NL_TAR_NAME_MAX];
    char type;
    uint64_t size, got;
    uint32_t sum; /* a checksum of the data, to compare pieces with the whole */
} seen;

static uint32_t mix(uint32_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!size) return 0;
    size_t piece = (size_t)data[size - 1] % 97 + 1;
    size--;
    static seen whole[MAX_ENTRIES], parts[MAX_ENTRIES];
    nl_status st;

    nl_tar_reader r;
    nl_tar_entry e;
    nl_tar_init(&r, data, size);
    int n_whole = 0, rc_whole;
    while ((rc_whole = nl_tar_next(&r, &e, &st)) == 1 && n_whole < MAX_ENTRIES) {
        seen *w = &whole[n_whole++];
        memcpy(w->name, e.name, sizeof w->name);
        w->type = e.type;
        w->size = w->got = e.size;
        if (e.size > size || (e.size && (e.data < data || e.data + e.size > data + size))) __builtin_trap();
        w->sum = mix(2166136261u, e.data, (size_t)e.size);
    }
    if (rc_whole == 1) return 0; /* more entries than compared */
    if (rc_whole < 0 && (st.code != NL_EFORMAT || !st.msg[0])) __builtin_trap();

    nl_tar_stream s;
    nl_tar_stream_init(&s);
    int n_parts = 0, rc_parts = 0, ended = 0;
    for (size_t at = 0; at < size && !rc_parts && !ended; at += piece) {
        const uint8_t *in = data + at;
        size_t in_len = size - at < piece ? size - at : piece;
        for (;;) {
            const uint8_t *d;
            size_t dl;
            int ev = nl_tar_stream_next(&s, &in, &in_len, &d, &dl, &st);
            if (ev < 0) {
                rc_parts = -1;
                break;
            }
            if (ev == NL_TAR_NEED_MORE) break;
            if (ev == NL_TAR_END) {
                ended = 1;
                break;
            }
            if (ev == NL_TAR_ENTRY) {
                if (n_parts == MAX_ENTRIES) __builtin_trap(); /* the whole reader stopped earlier */
                seen *p = &parts[n_parts++];
                memcpy(p->name, s.entry.name, sizeof p->name);
                p->type = s.entry.type;
                p->size = s.entry.size;
                p->got = 0;
                p->sum = 2166136261u;
            } else { /* NL_TAR_DATA */
                seen *p = &parts[n_parts - 1];
                if (!n_parts || !dl || p->got + dl > p->size) __builtin_trap();
                p->got += dl;
                p->sum = mix(p->sum, d, dl);
            }
        }
    }
    if (!rc_parts && !ended && nl_tar_stream_finish(&s, &st)) rc_parts = -1;
    /* the whole reader reports an entry only once its data is complete */
    if (rc_parts < 0 && n_parts && parts[n_parts - 1].got < parts[n_parts - 1].size) n_parts--;
    if ((rc_whole < 0) != (rc_parts < 0) || n_whole != n_parts) __builtin_trap();
    for (int i = 0; i < n_whole; i++)
        if (strcmp(whole[i].name, parts[i].name) || whole[i].type != parts[i].type || whole[i].size != parts[i].size ||
            parts[i].got != parts[i].size || whole[i].sum != parts[i].sum)
            __builtin_trap();
    return 0;
}
