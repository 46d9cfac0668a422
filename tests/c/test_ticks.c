/* Axis ticks have one definition, draw_nice_ticks() (tools/draw/canvas.c); the page's copy,
 * niceTicks() in web/lib/chartmath.js, must give the same ticks. This test checks the C side
 * against the committed table tests/golden/nice_ticks.json (ranges and their ticks), which
 * tests/node/web_chartmath.test.mjs checks the JS side against:
 *
 *   test_ticks           compare (fails if the C ticks and the table differ)
 *   test_ticks --write   rewrite the table from the C code (after changing the algorithm) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/nl_file.h"
#include "draw/nl_canvas.h"
#include "nl_test.h"
#include "serialize/nl_json.h"

#define TABLE "tests/golden/nice_ticks.json"

/* lo, hi, max_ticks, min_step: data ranges as the plots and charts see them */
static const struct {
    double lo, hi;
    int max_ticks;
    double min_step;
} cases[] = {
    {0, 10, 6, 0},          {0.113, 2.48, 6, 0},   {0.0001, 0.0502, 6, 0}, {10, 0, 6, 0},
    {3, 3, 5, 0},           {0, 0, 6, 0},          {0.1, 0.7, 11, 0},      {-3.7, 12.2, 6, 0},
    {1, 20, 6, 1},          {1, 3, 6, 1},          {0.5, 0.5, 4, 0},       {1e-5, 3e-4, 5, 0},
    {-0.02, 0.015, 5, 0},   {0.0341, 0.0342, 6, 0}, {1234, 98765, 8, 0},  {-1e6, 1e6, 5, 0},
    {2.3, 2.3000001, 6, 0}, {0, 1, 2, 0},          {0, 1, 32, 0},          {0.6, 0.95, 6, 0},
    {0, 45.2, 5, 0},        {-5, -1, 6, 0},        {0.0004, 0.1, 7, 0},    {1, 200, 9, 1},
    {0.25, 2.75, 6, 0},     {-73.5, -0.5, 4, 0},   {1e-9, 5e-9, 6, 0},     {99.5, 100.5, 3, 0},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* The table as JSON text, numbers in %.17g (they read back exactly). */
static size_t write_table(char *buf, size_t cap) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n,
                          "{\"what\": \"axis ticks of draw_nice_ticks (tools/draw/canvas.c): written by test_ticks "
                          "--write, checked by test_ticks and tests/node/web_chartmath.test.mjs\",\n \"cases\": [\n");
    for (size_t i = 0; i < N_CASES; i++) {
        double lo = cases[i].lo, hi = cases[i].hi, ticks[32], step;
        int nt = draw_nice_ticks(&lo, &hi, cases[i].max_ticks, cases[i].min_step, ticks, &step);
        n += (size_t)snprintf(buf + n, cap - n,
                              "  {\"lo\": %.17g, \"hi\": %.17g, \"max_ticks\": %d, \"min_step\": %.17g, "
                              "\"out_lo\": %.17g, \"out_hi\": %.17g, \"step\": %.17g, \"ticks\": [",
                              cases[i].lo, cases[i].hi, cases[i].max_ticks, cases[i].min_step, lo, hi, step);
        for (int t = 0; t < nt; t++) n += (size_t)snprintf(buf + n, cap - n, "%s%.17g", t ? ", " : "", ticks[t]);
        n += (size_t)snprintf(buf + n, cap - n, "]}%s\n", i + 1 < N_CASES ? "," : "");
    }
    n += (size_t)snprintf(buf + n, cap - n, " ]}\n");
    return n;
}

int main(int argc, char **argv) {
    static char text[1 << 16];
    size_t len = write_table(text, sizeof text);
    CHECK(len < sizeof text);
    nl_status st;
    if (argc > 1 && !strcmp(argv[1], "--write")) {
        CHECK_MSG(nl_file_write_atomic(TABLE, text, len, &st) == 0, "%s", st.msg);
        printf("wrote %s (%zu ranges)\n", TABLE, (size_t)N_CASES);
        return nl_test_finish("test_ticks");
    }
    uint8_t *buf;
    size_t blen;
    if (nl_file_read_all(TABLE, &buf, &blen, 1 << 20, &st)) {
        CHECK_MSG(0, "%s (run from the source folder)", st.msg);
        return nl_test_finish("test_ticks");
    }
    nl_json *root = nl_json_parse((const char *)buf, blen, &st), *mine = nl_json_parse(text, len, &st);
    const nl_json *want = nl_json_get(root, "cases"), *got = nl_json_get(mine, "cases");
    CHECK_MSG(want && got && want->len == got->len, "%s: %zu ranges, the C table has %zu", TABLE,
              want ? want->len : 0, got ? got->len : 0);
    for (size_t i = 0; want && got && i < want->len && i < got->len; i++) {
        static const char *const keys[] = {"lo", "hi", "max_ticks", "min_step", "out_lo", "out_hi", "step"};
        int same = 1;
        for (int k = 0; k < 7; k++) {
            const nl_json *a = nl_json_get(&want->items[i], keys[k]), *b = nl_json_get(&got->items[i], keys[k]);
            same &= a && b && a->number == b->number;
        }
        const nl_json *ta = nl_json_get(&want->items[i], "ticks"), *tb = nl_json_get(&got->items[i], "ticks");
        same &= ta && tb && ta->len == tb->len;
        for (size_t t = 0; same && t < ta->len; t++) same &= ta->items[t].number == tb->items[t].number;
        CHECK_MSG(same, "range %zu (%g .. %g): draw_nice_ticks differs from %s (if the change is intended: "
                        "build/test_ticks --write)", i, cases[i].lo, cases[i].hi, TABLE);
    }
    nl_json_free(root);
    nl_json_free(mine);
    free(buf);
    return nl_test_finish("test_ticks");
}
