/* libFuzzer target: CIFAR-10 from a tar stream (what the page and Node feed after the
 * platform's gzip). The input's last byte picks a piece size; the rest is fed in pieces and
 * also loaded whole: same outcome, and an accepted data set must be a valid one. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "data/nl_cifar.h"

static void check_set(const nl_cifar_set *s) {
    if (s->n < 1 || s->n > NL_CIFAR_MAX_RECORDS) __builtin_trap();
    for (int i = 0; i < s->n; i++)
        if (s->labels[i] >= NL_CIFAR_CLASSES) __builtin_trap();
    volatile uint8_t last = s->pixels[(size_t)s->n * NL_CIFAR_IMAGE_BYTES - 1]; /* in bounds */
    (void)last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!size) return 0;
    size_t piece = ((size_t)data[size - 1] * 37) % 4099 + 1;
    size--;
    nl_status st;
    nl_cifar a, b;
    int rc_a = nl_cifar_load_tar_buffer(&a, data, size, &st);
    if (rc_a && (!st.msg[0] || (rc_a != NL_EFORMAT && rc_a != NL_ENOMEM))) __builtin_trap();

    int rc_b = NL_OK;
    nl_cifar_stream *s = nl_cifar_stream_new("archive", &st);
    if (!s) return 0;
    for (size_t at = 0; at < size && !rc_b; at += piece)
        rc_b = nl_cifar_stream_feed(s, data + at, size - at < piece ? size - at : piece, &st);
    if (!rc_b) rc_b = nl_cifar_stream_finish(s, &b, &st);
    else memset(&b, 0, sizeof b);
    nl_cifar_stream_free(s);
    if (rc_a != rc_b) __builtin_trap();
    if (!rc_a) {
        check_set(&a.train);
        check_set(&a.test);
        if (a.train.n != b.train.n || a.test.n != b.test.n ||
            memcmp(a.train.labels, b.train.labels, (size_t)a.train.n) ||
            memcmp(a.train.pixels, b.train.pixels, (size_t)a.train.n * NL_CIFAR_IMAGE_BYTES) ||
            memcmp(a.test.pixels, b.test.pixels, (size_t)a.test.n * NL_CIFAR_IMAGE_BYTES) ||
            memcmp(a.class_names, b.class_names, sizeof a.class_names))
            __builtin_trap();
    }
    nl_cifar_free(&a);
    nl_cifar_free(&b);
    return 0;
}
