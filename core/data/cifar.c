/* CIFAR-10 loading from memory: the six batch buffers, or a tar archive fed in pieces
 * (files and folders: cifar_files.c). Every loader either fills the whole nl_cifar or leaves
 * it zeroed with nothing allocated, and every error message names the file and the problem. */
#include "data/nl_cifar.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/nl_tar.h"

const char *const nl_cifar_default_class_names[NL_CIFAR_CLASSES] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};

/* The six batch files in load order: five train batches, then the test batch. */
#define N_FILES (NL_CIFAR_TRAIN_BATCHES + 1)
static const char *const batch_names[N_FILES] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                                 "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
static const char meta_name[] = "batches.meta.txt";
static const char folder_name[] = "cifar-10-batches-bin";

void nl_cifar_free(nl_cifar *data) {
    if (!data) return;
    free(data->train.labels);
    free(data->train.pixels);
    free(data->test.labels);
    free(data->test.pixels);
    memset(data, 0, sizeof *data);
}

void nl_cifar_reset(nl_cifar *out) {
    memset(out, 0, sizeof *out);
    for (int c = 0; c < NL_CIFAR_CLASSES; c++)
        snprintf(out->class_names[c], sizeof out->class_names[c], "%s", nl_cifar_default_class_names[c]);
}

int nl_cifar_append_batch(nl_cifar_set *dst, const uint8_t *buf, size_t len, const char *name, nl_status *st) {
    if (!name) name = "batch";
    if (!dst || (!buf && len)) return nl_fail(st, NL_EINVAL, "%s: NULL argument", name);
    if (len == 0) return nl_fail(st, NL_EFORMAT, "%s: empty (no records)", name);
    if (len % NL_CIFAR_RECORD_BYTES)
        return nl_fail(st, NL_EFORMAT, "%s: size %zu is not a multiple of %d-byte records", name, len,
                       NL_CIFAR_RECORD_BYTES);
    size_t count = len / NL_CIFAR_RECORD_BYTES;
    if (dst->n < 0 || dst->n > NL_CIFAR_MAX_RECORDS || count > (size_t)(NL_CIFAR_MAX_RECORDS - dst->n))
        return nl_fail(st, NL_EFORMAT, "%s: too many images (%zu more; a set holds at most %d)", name, count,
                       NL_CIFAR_MAX_RECORDS);
    /* Validate everything before touching dst, so an error leaves it unchanged. */
    for (size_t i = 0; i < count; i++) {
        unsigned label = buf[i * NL_CIFAR_RECORD_BYTES];
        if (label >= NL_CIFAR_CLASSES)
            return nl_fail(st, NL_EFORMAT, "%s: record %zu has label %u (must be 0..9)", name, i, label);
    }

    size_t n = (size_t)dst->n, total = n + count;
    uint8_t *labels = realloc(dst->labels, total);
    if (!labels) return nl_fail(st, NL_ENOMEM, "%s: out of memory for %zu labels", name, total);
    dst->labels = labels; /* same contents, possibly moved: dst is still consistent */
    uint8_t *pixels = realloc(dst->pixels, total * NL_CIFAR_IMAGE_BYTES);
    if (!pixels) return nl_fail(st, NL_ENOMEM, "%s: out of memory for %zu images", name, total);
    dst->pixels = pixels;

    for (size_t i = 0; i < count; i++) {
        const uint8_t *rec = buf + i * NL_CIFAR_RECORD_BYTES;
        labels[n + i] = rec[0];
        memcpy(pixels + (n + i) * NL_CIFAR_IMAGE_BYTES, rec + 1, NL_CIFAR_IMAGE_BYTES);
    }
    dst->n = (int)total;
    return NL_OK;
}

int nl_cifar_parse_meta(nl_cifar *out, const char *meta, size_t len, nl_status *st) {
    int found = 0;
    size_t p = 0;
    if (len >= 3 && memcmp(meta, "\xEF\xBB\xBF", 3) == 0) p = 3; /* UTF-8 byte order mark */
    while (p < len && found < NL_CIFAR_CLASSES) {
        size_t end = p;
        while (end < len && meta[end] != '\n') end++;
        size_t a = p, b = end;
        while (a < b && (meta[a] == ' ' || meta[a] == '\t' || meta[a] == '\r')) a++;
        while (b > a && (meta[b - 1] == ' ' || meta[b - 1] == '\t' || meta[b - 1] == '\r' || meta[b - 1] == '\0')) b--;
        if (b > a) {
            size_t n = b - a < sizeof out->class_names[0] - 1 ? b - a : sizeof out->class_names[0] - 1;
            memcpy(out->class_names[found], meta + a, n);
            out->class_names[found][n] = '\0';
            found++;
        }
        p = end + 1;
    }
    if (found < NL_CIFAR_CLASSES)
        return nl_fail(st, NL_EFORMAT, "%s: has %d class names (need %d, one per line)", meta_name, found,
                       NL_CIFAR_CLASSES);
    return NL_OK;
}

/* Appends the six batches (bufs[i] NULL means the file is missing) and parses the meta text. */
static int load_buffers(nl_cifar *out, const uint8_t *const bufs[N_FILES], const size_t lens[N_FILES],
                        const char *meta, size_t meta_len, nl_status *st) {
    nl_cifar_reset(out);
    int rc = NL_OK;
    for (int i = 0; i < N_FILES && !rc; i++) {
        if (!bufs[i]) {
            rc = nl_fail(st, NL_EFORMAT, "missing %s", batch_names[i]);
            break;
        }
        nl_cifar_set *dst = i < NL_CIFAR_TRAIN_BATCHES ? &out->train : &out->test;
        rc = nl_cifar_append_batch(dst, bufs[i], lens[i], batch_names[i], st);
    }
    if (!rc && meta) rc = nl_cifar_parse_meta(out, meta, meta_len, st);
    if (rc) nl_cifar_free(out);
    return rc;
}

int nl_cifar_load_batch_buffers(nl_cifar *out, const uint8_t *const bufs[6], const size_t lens[6], const char *meta,
                                size_t meta_len, nl_status *st) {
    if (!out) return nl_fail(st, NL_EINVAL, "cifar: NULL output");
    memset(out, 0, sizeof *out);
    if (!bufs || !lens) return nl_fail(st, NL_EINVAL, "cifar: NULL buffers");
    return load_buffers(out, bufs, lens, meta, meta_len, st);
}


/* ---- a tar archive fed in pieces ---- */

/* Index of the batch file (0..5), N_FILES for batches.meta.txt, -1 for other files. */
static int file_index(const char *base) {
    for (int i = 0; i < N_FILES; i++)
        if (strcmp(base, batch_names[i]) == 0) return i;
    return strcmp(base, meta_name) == 0 ? N_FILES : -1;
}

/* Where one of the six batch files sits in its set. */
typedef struct {
    int score; /* 0 not seen yet, 1 seen anywhere, 2 seen in a cifar-10-batches-bin/ folder */
    int first; /* its first record in the set */
    int n;     /* records */
} file_slot;

struct nl_cifar_stream {
    nl_tar_stream tar;
    char label[160];
    nl_cifar_set set[2];       /* train, test: records in the order the files arrived */
    file_slot file[N_FILES];
    int cur;                   /* the current entry: file index, N_FILES (meta) or -1 (skipped) */
    uint64_t cur_pos;          /* bytes of it received */
    int entries;               /* entries seen (to tell "not a tar file" from a damaged one) */
    uint8_t head[2];           /* the first bytes (a gzip file fed by mistake is named as such) */
    uint64_t fed;
    char *meta;                /* batches.meta.txt, at most NL_CIFAR_META_MAX bytes */
    size_t meta_len;
    int meta_score;
    nl_status err;             /* the first error: every later call repeats it */
    uint8_t swap[NL_CIFAR_IMAGE_BYTES];
};

static nl_cifar_set *set_of(nl_cifar_stream *s, int idx) { return &s->set[idx < NL_CIFAR_TRAIN_BATCHES ? 0 : 1]; }

/* Records the first error (labelled with the source) and returns its code. */
static int stream_fail(nl_cifar_stream *s, nl_status *st, int code) {
    if (!s->err.code) {
        const char *msg = st ? st->msg : "error";
        if (!s->entries && s->fed >= 2 && s->head[0] == 0x1F && s->head[1] == 0x8B)
            msg = "gzip-compressed: decompress it before the tar reader";
        else if (!s->entries && code == NL_EFORMAT && s->tar.offset <= NL_TAR_BLOCK)
            msg = "not a gzip or tar file";
        nl_fail(&s->err, code, "%s: %s", s->label, msg);
    }
    if (st) *st = s->err;
    return s->err.code;
}

nl_cifar_stream *nl_cifar_stream_new(const char *label, nl_status *st) {
    nl_cifar_stream *s = calloc(1, sizeof *s);
    if (!s) {
        nl_fail(st, NL_ENOMEM, "%s: out of memory", label ? label : "archive");
        return NULL;
    }
    nl_tar_stream_init(&s->tar);
    snprintf(s->label, sizeof s->label, "%s", label ? label : "archive");
    s->cur = -1;
    return s;
}

void nl_cifar_stream_free(nl_cifar_stream *s) {
    if (!s) return;
    for (int k = 0; k < 2; k++) {
        free(s->set[k].labels);
        free(s->set[k].pixels);
    }
    free(s->meta);
    free(s);
}

/* Removes a file's records from its set (a later copy of the same file replaces it). */
static void drop_records(nl_cifar_stream *s, int idx) {
    nl_cifar_set *set = set_of(s, idx);
    file_slot *f = &s->file[idx];
    size_t first = (size_t)f->first, n = (size_t)f->n, tail = (size_t)set->n - first - n;
    memmove(set->labels + first, set->labels + first + n, tail);
    memmove(set->pixels + first * NL_CIFAR_IMAGE_BYTES, set->pixels + (first + n) * NL_CIFAR_IMAGE_BYTES,
            tail * NL_CIFAR_IMAGE_BYTES);
    for (int j = 0; j < N_FILES; j++)
        if (j != idx && s->file[j].score && set_of(s, j) == set && s->file[j].first > f->first) s->file[j].first -= f->n;
    set->n -= f->n;
    memset(f, 0, sizeof *f);
}

/* A new entry: decides whether its data is wanted and makes room for its records, whose
 * count follows from the size the header gives (checked against the format first). */
static int on_entry(nl_cifar_stream *s, const nl_tar_entry *e, nl_status *st) {
    s->cur = -1;
    s->cur_pos = 0;
    s->entries++;
    if (e->type != '0') return NL_OK;
    const char *slash = strrchr(e->name, '/');
    const char *base = slash ? slash + 1 : e->name;
    int idx = file_index(base);
    if (idx < 0) return NL_OK;
    size_t dir_len = (size_t)(base - e->name);
    size_t folder_len = sizeof folder_name - 1;
    int in_folder = dir_len > folder_len && memcmp(base - 1 - folder_len, folder_name, folder_len) == 0 &&
                    (dir_len == folder_len + 1 || base[-2 - (int)folder_len] == '/');
    int score = in_folder ? 2 : 1;

    if (idx == N_FILES) {
        if (score < s->meta_score) return NL_OK;
        if (e->size > NL_CIFAR_META_MAX)
            return nl_fail(st, NL_EFORMAT, "%s: %llu bytes is too large for a list of class names (at most %d)",
                           meta_name, (unsigned long long)e->size, NL_CIFAR_META_MAX);
        free(s->meta);
        s->meta = malloc(e->size ? (size_t)e->size : 1);
        s->meta_len = 0;
        s->meta_score = 0;
        if (!s->meta) return nl_fail(st, NL_ENOMEM, "%s: out of memory", meta_name);
        s->meta_len = (size_t)e->size;
        s->meta_score = score;
        s->cur = N_FILES;
        return NL_OK;
    }

    file_slot *f = &s->file[idx];
    if (score < f->score) return NL_OK;
    const char *name = batch_names[idx];
    if (e->size == 0) return nl_fail(st, NL_EFORMAT, "%s: empty (no records)", name);
    if (e->size % NL_CIFAR_RECORD_BYTES)
        return nl_fail(st, NL_EFORMAT, "%s: size %llu is not a multiple of %d-byte records", name,
                       (unsigned long long)e->size, NL_CIFAR_RECORD_BYTES);
    if (f->score) drop_records(s, idx);
    nl_cifar_set *set = set_of(s, idx);
    uint64_t count = e->size / NL_CIFAR_RECORD_BYTES;
    if (count > (uint64_t)(NL_CIFAR_MAX_RECORDS - set->n))
        return nl_fail(st, NL_EFORMAT, "%s: too many images (%llu more; a set holds at most %d)", name,
                       (unsigned long long)count, NL_CIFAR_MAX_RECORDS);
    size_t total = (size_t)set->n + (size_t)count;
    uint8_t *labels = realloc(set->labels, total);
    if (!labels) return nl_fail(st, NL_ENOMEM, "%s: out of memory for %zu labels", name, total);
    set->labels = labels;
    uint8_t *pixels = realloc(set->pixels, total * NL_CIFAR_IMAGE_BYTES);
    if (!pixels) return nl_fail(st, NL_ENOMEM, "%s: out of memory for %zu images", name, total);
    set->pixels = pixels;
    f->first = set->n;
    f->n = (int)count;
    f->score = score;
    set->n = (int)total;
    s->cur = idx;
    return NL_OK;
}

/* The next piece of the current entry's data: records go straight to their place in the set
 * (a piece may end anywhere inside a record). */
static int on_data(nl_cifar_stream *s, const uint8_t *p, size_t n, nl_status *st) {
    if (s->cur < 0) return NL_OK;
    if (s->cur == N_FILES) {
        memcpy(s->meta + s->cur_pos, p, n); /* the tar reader never gives more than the size */
        s->cur_pos += n;
        return NL_OK;
    }
    const file_slot *f = &s->file[s->cur];
    nl_cifar_set *set = set_of(s, s->cur);
    while (n) {
        uint64_t rec = s->cur_pos / NL_CIFAR_RECORD_BYTES;
        size_t off = (size_t)(s->cur_pos % NL_CIFAR_RECORD_BYTES);
        size_t at = (size_t)f->first + (size_t)rec;
        if (off == 0) {
            if (*p >= NL_CIFAR_CLASSES)
                return nl_fail(st, NL_EFORMAT, "%s: record %llu has label %u (must be 0..9)", batch_names[s->cur],
                               (unsigned long long)rec, (unsigned)*p);
            set->labels[at] = *p;
            p++, n--, s->cur_pos++;
            continue;
        }
        size_t take = NL_CIFAR_RECORD_BYTES - off < n ? NL_CIFAR_RECORD_BYTES - off : n;
        memcpy(set->pixels + at * NL_CIFAR_IMAGE_BYTES + off - 1, p, take);
        p += take, n -= take, s->cur_pos += take;
    }
    return NL_OK;
}

int nl_cifar_stream_feed(nl_cifar_stream *s, const uint8_t *buf, size_t len, nl_status *st) {
    if (!s) return nl_fail(st, NL_EINVAL, "cifar: NULL stream");
    if (s->err.code) return stream_fail(s, st, s->err.code);
    if (!buf && len) return nl_fail(st, NL_EINVAL, "%s: NULL buffer", s->label);
    for (size_t i = 0; i < len && s->fed + i < 2; i++) s->head[s->fed + i] = buf[i];
    s->fed += len;
    while (len) {
        const uint8_t *data;
        size_t data_len;
        int ev = nl_tar_stream_next(&s->tar, &buf, &len, &data, &data_len, st);
        int rc = NL_OK;
        if (ev < 0) rc = NL_EFORMAT;
        else if (ev == NL_TAR_ENTRY) rc = on_entry(s, &s->tar.entry, st);
        else if (ev == NL_TAR_DATA) rc = on_data(s, data, data_len, st);
        if (rc) return stream_fail(s, st, rc);
        if (ev == NL_TAR_END) break; /* whatever follows the end block is ignored */
    }
    return NL_OK;
}

/* Reverses the order of records [a, b) of a set (each record stays intact). */
static void reverse_records(nl_cifar_stream *s, nl_cifar_set *set, size_t a, size_t b) {
    const size_t R = NL_CIFAR_IMAGE_BYTES;
    for (; a + 1 < b; a++, b--) {
        uint8_t l = set->labels[a];
        set->labels[a] = set->labels[b - 1];
        set->labels[b - 1] = l;
        memcpy(s->swap, set->pixels + a * R, R);
        memcpy(set->pixels + a * R, set->pixels + (b - 1) * R, R);
        memcpy(set->pixels + (b - 1) * R, s->swap, R);
    }
}

/* Puts the train batches in the order data_batch_1..5 (the official archive stores them as
 * 4, 5, 2, 1, 3): moves each into place with an in-place rotation, so no second copy of the
 * set is ever needed. */
static void order_train(nl_cifar_stream *s) {
    nl_cifar_set *set = &s->set[0];
    int c = 0;
    for (int k = 0; k < NL_CIFAR_TRAIN_BATCHES; k++) {
        file_slot *f = &s->file[k];
        if (f->first != c) { /* rotate [c, first + n) so that [first, first + n) comes first */
            size_t a = (size_t)c, m = (size_t)f->first, b = m + (size_t)f->n;
            reverse_records(s, set, a, m);
            reverse_records(s, set, m, b);
            reverse_records(s, set, a, b);
            for (int j = k + 1; j < NL_CIFAR_TRAIN_BATCHES; j++)
                if (s->file[j].first >= c && s->file[j].first < f->first) s->file[j].first += f->n;
            f->first = c;
        }
        c += f->n;
    }
}

int nl_cifar_stream_finish(nl_cifar_stream *s, nl_cifar *out, nl_status *st) {
    if (!out) return nl_fail(st, NL_EINVAL, "cifar: NULL output");
    memset(out, 0, sizeof *out);
    if (!s) return nl_fail(st, NL_EINVAL, "cifar: NULL stream");
    if (s->err.code) return stream_fail(s, st, s->err.code);
    if (nl_tar_stream_finish(&s->tar, st)) return stream_fail(s, st, NL_EFORMAT);
    if (!s->entries) {
        nl_fail(st, NL_EFORMAT, "no files in it");
        return stream_fail(s, st, NL_EFORMAT);
    }
    for (int i = 0; i < N_FILES; i++)
        if (!s->file[i].score) {
            nl_fail(st, NL_EFORMAT, "missing %s", batch_names[i]);
            return stream_fail(s, st, NL_EFORMAT);
        }
    order_train(s);
    nl_cifar_reset(out);
    out->train = s->set[0];
    out->test = s->set[1];
    memset(s->set, 0, sizeof s->set);
    memset(s->file, 0, sizeof s->file);
    if (s->meta_score) {
        int rc = nl_cifar_parse_meta(out, s->meta, s->meta_len, st);
        if (rc) {
            nl_cifar_free(out);
            return stream_fail(s, st, rc);
        }
    }
    return NL_OK;
}

int nl_cifar_load_tar_buffer(nl_cifar *out, const uint8_t *buf, size_t len, nl_status *st) {
    if (!out) return nl_fail(st, NL_EINVAL, "cifar: NULL output");
    memset(out, 0, sizeof *out);
    if (!buf && len) return nl_fail(st, NL_EINVAL, "cifar: NULL buffer");
    nl_cifar_stream *s = nl_cifar_stream_new("archive", st);
    if (!s) return NL_ENOMEM;
    int rc = nl_cifar_stream_feed(s, buf, len, st);
    if (!rc) rc = nl_cifar_stream_finish(s, out, st);
    nl_cifar_stream_free(s);
    return rc;
}
