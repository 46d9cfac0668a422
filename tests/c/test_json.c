/* The JSON reader's limits under hostile input: duplicate keys among many (found by sorting,
 * the earliest repeat named), the cap on values, compact nodes, and texts at the cap. */
#include <stdlib.h>
#include <string.h>

#include "serialize/nl_json.h"
#include "nl_test.h"

/* {"k0":0,"k1":1,...} with n keys; dup >= 0 makes key n-1 repeat key dup. */
static char *many_keys(int n, int dup, size_t *len) {
    char *t = malloc((size_t)n * 24 + 16);
    size_t at = 0;
    t[at++] = '{';
    for (int i = 0; i < n; i++) {
        int k = i == n - 1 && dup >= 0 ? dup : i;
        at += (size_t)sprintf(t + at, "%s\"k%d\":%d", i ? "," : "", k, i);
    }
    t[at++] = '}';
    t[at] = '\0';
    *len = at;
    return t;
}

int main(void) {
    nl_status st = {0};
    /* Compact nodes: a 2-byte array element costs one 32-byte node (64-bit targets). */
    CHECK(sizeof(nl_json) <= 32 || sizeof(void *) > 8);

    /* The earliest key that repeats an earlier one is named, at its offset. */
    const char *two = "{\"a\":1,\"b\":2,\"b\":3,\"a\":4}";
    CHECK(nl_json_parse(two, strlen(two), &st) == NULL);
    CHECK_MSG(strcmp(st.msg, "duplicate key \"b\" at offset 13") == 0, "message: %s", st.msg);
    /* Same key in different objects is fine. */
    const char *nested = "{\"a\":{\"a\":1},\"b\":[{\"a\":2},{\"a\":3}]}";
    nl_json *j = nl_json_parse(nested, strlen(nested), &st);
    CHECK_MSG(j != NULL, "%s", st.msg);
    nl_json_free(j);

    /* Many keys: all distinct is accepted and every key is found; one repeat at the very end
     * is caught (sorting: no O(n^2) compares). */
    size_t len;
    int n = NL_JSON_MAX_NODES - 1; /* + the object itself = the cap */
    char *t = many_keys(n, -1, &len);
    j = nl_json_parse(t, len, &st);
    CHECK_MSG(j != NULL && j->len == (size_t)n, "%s", st.msg);
    if (j) CHECK(nl_json_get(j, "k0")->integer == 0 && nl_json_get(j, "k16382")->integer == 16382);
    nl_json_free(j);
    free(t);
    t = many_keys(n, 7, &len);
    CHECK(nl_json_parse(t, len, &st) == NULL);
    CHECK_MSG(strstr(st.msg, "duplicate key \"k7\" at offset") != NULL, "message: %s", st.msg);
    free(t);

    /* One value more than the cap is refused, however small the values. */
    t = many_keys(n + 1, -1, &len);
    CHECK(nl_json_parse(t, len, &st) == NULL);
    CHECK_MSG(strstr(st.msg, "more than 16384 values") != NULL, "message: %s", st.msg);
    free(t);
    size_t alen = 2 * (size_t)NL_JSON_MAX_NODES + 8;
    char *arr = malloc(alen);
    size_t at = 0;
    arr[at++] = '[';
    for (int i = 0; i < NL_JSON_MAX_NODES; i++) arr[at++] = '0', arr[at++] = ',';
    arr[at - 1] = ']';
    CHECK(nl_json_parse(arr, at, &st) == NULL && st.code == NL_EFORMAT);
    CHECK_MSG(strstr(st.msg, "more than 16384 values") != NULL, "message: %s", st.msg);
    arr[at - 3] = ']'; /* one element fewer: exactly at the cap */
    j = nl_json_parse(arr, at - 2, &st);
    CHECK_MSG(j != NULL && j->len == NL_JSON_MAX_NODES - 1, "%s", st.msg);
    nl_json_free(j);
    free(arr);

    /* Nesting: the depth limit holds for arrays and objects. */
    char deep[2 * (NL_JSON_MAX_DEPTH + 1) + 1];
    for (int i = 0; i <= NL_JSON_MAX_DEPTH; i++) deep[i] = '[', deep[2 * (NL_JSON_MAX_DEPTH + 1) - 1 - i] = ']';
    CHECK(nl_json_parse(deep, 2 * (NL_JSON_MAX_DEPTH + 1), &st) == NULL);
    CHECK_MSG(strstr(st.msg, "nesting too deep") != NULL, "message: %s", st.msg);
    j = nl_json_parse(deep + 1, 2 * NL_JSON_MAX_DEPTH, &st);
    CHECK_MSG(j != NULL, "%s", st.msg);
    nl_json_free(j);
    return nl_test_finish("test_json");
}
