/* The model description as JSON: to_json -> from_json gives back the identical description
 * (default, reference and custom models), missing optional fields take the defaults, and the
 * strict parser rejects malformed input with clear, offset-bearing messages. */
#include <stdlib.h>
#include <string.h>

#include "serialize/nl_json.h"
#include "serialize/nl_model_json.h"
#include "nl_test.h"

static int desc_equal(const nl_model_desc *a, const nl_model_desc *b) {
    if (a->norm != b->norm || a->groups != b->groups || a->group_size != b->group_size || a->n_skips != b->n_skips ||
        a->in_channels != b->in_channels || a->in_hw != b->in_hw || a->classes != b->classes)
        return 0;
    if (memcmp(&a->dropout, &b->dropout, sizeof(float)) || memcmp(&a->bn_momentum, &b->bn_momentum, sizeof(float)) ||
        memcmp(&a->norm_eps, &b->norm_eps, sizeof(float)))
        return 0;
    for (int i = 0; i < NL_NUM_BLOCKS; i++)
        if (a->width[i] != b->width[i] || a->pad[i] != b->pad[i]) return 0;
    for (int i = 0; i < a->n_skips; i++)
        if (a->skips[i].from != b->skips[i].from || a->skips[i].to != b->skips[i].to) return 0;
    return 1;
}

static void round_trip(const nl_model_desc *d, const char *what) {
    char buf[NL_MODEL_JSON_MAX];
    nl_status st;
    int rc = nl_model_desc_to_json(d, buf, sizeof buf, &st);
    CHECK_MSG(rc == 0, "%s: to_json: %s", what, st.msg);
    if (rc) return;
    nl_model_desc back;
    memset(&back, 0x55, sizeof back);
    rc = nl_model_desc_from_json(buf, strlen(buf), &back, &st);
    CHECK_MSG(rc == 0, "%s: from_json: %s\n%s", what, st.msg, buf);
    CHECK_MSG(rc == 0 && desc_equal(d, &back), "%s: round trip differs\n%s", what, buf);
    /* the text is not NUL-terminated where the length says it ends */
    char *copy = malloc(strlen(buf) + 8);
    memcpy(copy, buf, strlen(buf));
    memcpy(copy + strlen(buf), "garbage", 7);
    CHECK_MSG(nl_model_desc_from_json(copy, strlen(buf), &back, &st) == 0, "%s: length-bounded: %s", what, st.msg);
    free(copy);
}

/* from_json must fail with a message containing `want`. */
static void expect_error(const char *json, const char *want) {
    nl_model_desc d, before;
    nl_model_desc_default(&d, NL_NORM_GN);
    before = d;
    nl_status st;
    nl_status_clear(&st);
    int rc = nl_model_desc_from_json(json, strlen(json), &d, &st);
    CHECK_MSG(rc != 0, "accepted: %s", json);
    CHECK_MSG(rc == 0 || strstr(st.msg, want) != NULL, "for %s\n  got  '%s'\n  want '%s'", json, st.msg, want);
    CHECK_MSG(rc == 0 || !strncmp(st.msg, "model JSON: ", 12), "message not prefixed: '%s'", st.msg);
    CHECK_MSG(memcmp(&d, &before, sizeof d) == 0, "output changed on error for %s", json);
}

#define HEAD "{\"format\": \"normlab-model\", \"version\": 1, "

static void test_round_trips(void) {
    for (int k = 0; k < 3; k++) {
        nl_model_desc d;
        nl_model_desc_default(&d, (nl_norm_kind)k);
        round_trip(&d, "default");
        nl_model_desc_reference(&d, (nl_norm_kind)k);
        round_trip(&d, "reference");
    }
    nl_model_desc c;
    nl_model_desc_default(&c, NL_NORM_GN);
    static const int w[NL_NUM_BLOCKS] = {8, 12, 4, 8, 12, 4, 4, 8, 12, 8};
    static const int p[NL_NUM_BLOCKS] = {1, 0, 0, 1, 1, 1, 0, 0, 1, 1};
    memcpy(c.width, w, sizeof w);
    memcpy(c.pad, p, sizeof p);
    c.groups = 2;
    c.group_size = 3;
    c.dropout = 0.15f;
    c.bn_momentum = 0.0625f;
    c.norm_eps = 3.3e-4f;
    c.classes = 7;
    c.n_skips = 3;
    c.skips[0] = (nl_skip){NL_L_P1, NL_L_c6};
    c.skips[1] = (nl_skip){NL_L_C7, NL_L_C9};
    c.skips[2] = (nl_skip){NL_L_C5, NL_L_c6}; /* 4 ch @ 15x15 both */
    round_trip(&c, "custom gn");
    c.norm = NL_NORM_BN;
    c.norm_eps = 0.1f;
    c.dropout = 0.999f;
    round_trip(&c, "custom bn");
    /* every float written with few digits still reads back bit-exactly */
    float odd[] = {1e-5f, 0.1f, 1.0f / 3.0f, 0.2f, 7e-7f, 0.9999999f};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        c.norm_eps = odd[i];
        round_trip(&c, "eps");
    }
}

static void test_defaults_and_fields(void) {
    nl_status st;
    nl_model_desc d, want;
    const char *min = HEAD "\"norm\": \"ln\"}";
    CHECK_MSG(nl_model_desc_from_json(min, strlen(min), &d, &st) == 0, "minimal: %s", st.msg);
    nl_model_desc_default(&want, NL_NORM_LN);
    CHECK(desc_equal(&d, &want));
    const char *some = HEAD "\"norm\": \"gn\", \"groups\": 4, \"skips\": [], \"dropout\": 0.5, \"eps\": 1e-3}";
    CHECK_MSG(nl_model_desc_from_json(some, strlen(some), &d, &st) == 0, "some: %s", st.msg);
    nl_model_desc_default(&want, NL_NORM_GN);
    want.groups = 4;
    want.n_skips = 0;
    want.dropout = 0.5f;
    want.norm_eps = 1e-3f;
    memset(want.skips, 0, sizeof want.skips);
    CHECK(desc_equal(&d, &want));
    /* whitespace everywhere, escapes in strings */
    const char *ws = " \r\n\t{\"format\":\"normlab\\u002dmodel\",\"version\":1,\"norm\":\"\\u0062n\",\"skips\":[[\"C3\",\"C5\"]]}\n ";
    CHECK_MSG(nl_model_desc_from_json(ws, strlen(ws), &d, &st) == 0, "ws: %s", st.msg);
    CHECK(d.norm == NL_NORM_BN && d.n_skips == 1 && d.skips[0].from == NL_L_C3 && d.skips[0].to == NL_L_C5);
    /* to_json into a small buffer fails cleanly */
    char small[64];
    nl_model_desc_default(&d, NL_NORM_BN);
    CHECK(nl_model_desc_to_json(&d, small, sizeof small, &st) == NL_EINVAL && strstr(st.msg, "too small"));
    CHECK(small[0] == '\0');
    d.width[0] = 0;
    char big[NL_MODEL_JSON_MAX];
    CHECK(nl_model_desc_to_json(&d, big, sizeof big, &st) != 0 && strstr(st.msg, "invalid model"));
}

static void test_errors(void) {
    expect_error(HEAD "\"norm\": \"gn\",}", "unexpected character '}' at offset 55");
    expect_error("{\"format\": \"normlab-model\", \"version\": 1, \"norm\": \"xx\"}", "norm must be bn, gn or ln, got 'xx'");
    expect_error(HEAD "\"norm\": \"bn\", \"widths\": [1, 2, 3]}", "widths must be a list of 10 integers");
    expect_error(HEAD "\"norm\": \"bn\", \"widths\": [16, 32, 16, 24, 32, 32, 16, 32, 32, 32.5]}",
                 "widths of C9 must be an integer in 1..256, got 32.5");
    expect_error(HEAD "\"norm\": \"bn\", \"pads\": \"1\"}", "pads must be a list of 10 integers");
    expect_error(HEAD "\"norm\": \"bn\", \"groups\": 1.0}", "groups must be an integer");
    expect_error(HEAD "\"norm\": \"bn\", \"groups\": 99999999999}", "groups must be an integer");
    expect_error(HEAD "\"norm\": \"bn\", \"dropout\": \"0\"}", "dropout must be in [0, 1), got 0");
    expect_error(HEAD "\"norm\": \"bn\", \"dropout\": 1}", "dropout must be in [0, 1)");
    expect_error(HEAD "\"norm\": \"bn\", \"colour\": 1}", "unknown field 'colour'");
    expect_error(HEAD "\"norm\": \"bn\", \"skips\": [[\"P1\", \"X9\"]]}", "skips: unknown layer 'X9'");
    expect_error(HEAD "\"norm\": \"bn\", \"skips\": [\"P1-c6\"]}", "skips must be a list of");
    expect_error(HEAD "\"norm\": \"bn\", \"skips\": [[\"C1\", \"C3\"]]}", "shapes differ");
    expect_error(HEAD "\"norm\": \"bn\", \"layout\": [\"C1\"]}", "layout must be");
    expect_error(HEAD "\"norm\": \"gn\", \"groups\": 3}", "3 groups do not divide the 16 channels of C1");
    expect_error("{\"version\": 1, \"norm\": \"bn\"}", "missing field 'format'");
    expect_error("{\"format\": \"other\", \"version\": 1, \"norm\": \"bn\"}", "format must be \"normlab-model\"");
    expect_error("{\"format\": \"normlab-model\", \"norm\": \"bn\"}", "missing field 'version'");
    expect_error("{\"format\": \"normlab-model\", \"version\": 2, \"norm\": \"bn\"}", "version 2 is not supported");
    expect_error(HEAD "\"groups\": 2}", "missing field 'norm'");
    expect_error("[1, 2]", "the top level must be an object");
    /* the JSON grammar */
    expect_error("", "unexpected end of input at offset 0");
    expect_error(HEAD "\"norm\": \"bn\"", "unexpected end of input at offset 54");
    expect_error(HEAD "\"norm\": \"bn\"} x", "unexpected character 'x' after the value at offset 56");
    expect_error(HEAD "\"norm\": \"bn\", \"groups\": 01}", "unexpected character '1' at offset 67");
    expect_error(HEAD "\"norm\": \"bn\", \"groups\": -}", "unexpected character '}' at offset 67");
    expect_error(HEAD "\"norm\": \"bn\", \"dropout\": .5}", "unexpected character '.'");
    expect_error(HEAD "\"norm\": \"bn\", \"dropout\": 1e999}", "number out of range");
    expect_error(HEAD "\"norm\": \"bn\", \"dropout\": NaN}", "unexpected character 'N'");
    expect_error(HEAD "\"norm\": \"bn\", \"dropout\": tru}", "unexpected character '}'");
    expect_error(HEAD "\"norm\": \"bn\", 'groups': 1}", "unexpected character '''");
    expect_error(HEAD "\"norm\": \"bn\", \"norm\": \"gn\"}", "duplicate key \"norm\" at offset 56");
    expect_error(HEAD "\"norm\": \"b\x01n\"}", "control character in a string at offset 52");
    expect_error(HEAD "\"norm\": \"b\\xn\"}", "invalid escape in a string at offset 52");
    expect_error(HEAD "\"norm\": \"\\ud800\"}", "unpaired surrogate escape");
    expect_error(HEAD "\"norm\": \"\\u0000\"}", "\\u0000 in a string is not supported");
    expect_error(HEAD "\"norm\": \"\xc3\x28\"}", "invalid UTF-8 in a string at offset 51");
    expect_error(HEAD "\"norm\": \"bn", "unterminated string starting at offset 50");
    expect_error(HEAD "\"norm\": \"bn\" // comment\n}", "unexpected character '/'");
    /* nesting limit */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 99);
    deep[199] = '\0';
    expect_error(deep, "nesting too deep");
}

static void test_json_reader(void) {
    nl_status st;
    const char *t = "{\"a\": [1, -2.5e2, true, false, null, \"\\u00e9\\ud83d\\ude00\"], \"b\": {}, \"c\": []}";
    nl_json *j = nl_json_parse(t, strlen(t), &st);
    CHECK_MSG(j != NULL, "parse: %s", st.msg);
    if (!j) return;
    const nl_json *a = nl_json_get(j, "a");
    CHECK(a && a->type == NL_JSON_ARRAY && a->len == 6);
    if (a && a->len == 6) {
        CHECK(a->items[0].is_int && a->items[0].integer == 1);
        CHECK(!a->items[1].is_int && a->items[1].number == -250.0);
        CHECK(a->items[2].type == NL_JSON_BOOL && a->items[2].boolean == 1);
        CHECK(a->items[3].type == NL_JSON_BOOL && a->items[3].boolean == 0);
        CHECK(a->items[4].type == NL_JSON_NULL);
        CHECK(a->items[5].type == NL_JSON_STRING && a->items[5].len == 6 &&
              !memcmp(a->items[5].str, "\xc3\xa9\xf0\x9f\x98\x80", 6));
    }
    CHECK(nl_json_get(j, "b") && nl_json_get(j, "b")->type == NL_JSON_OBJECT && nl_json_get(j, "b")->len == 0);
    CHECK(nl_json_get(j, "zz") == NULL);
    nl_json_free(j);
    char esc[64];
    size_t n = nl_json_escape(esc, sizeof esc, "a\"b\\c\n\x01", 7);
    CHECK(n == strlen(esc) && !strcmp(esc, "\"a\\\"b\\\\c\\n\\u0001\""));
    CHECK(nl_json_escape(esc, 4, "abcdef", 6) == 8 && !strcmp(esc, "\"ab"));
}

int main(void) {
    test_round_trips();
    test_defaults_and_fields();
    test_errors();
    test_json_reader();
    return nl_test_finish("test_model_json");
}
