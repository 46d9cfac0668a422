/* The model description <-> JSON (format in nl_model_json.h). */
#include <stdlib.h>
#include <string.h>

#include "base/nl_file.h"
#include "serialize/nl_config.h"
#include "serialize/nl_json.h"
#include "serialize/nl_model_json.h"

#define MODEL_JSON_MAX_FILE (1u << 20)

/* Both directions go through the settings table (nl_config.h): the model description is
 * the model part of a run configuration, with its own format name and required fields. */

int nl_model_desc_to_json(const nl_model_desc *d, char *buf, size_t cap, nl_status *st) {
    if (!d || (!buf && cap)) return nl_fail(st, NL_EINVAL, "model JSON: missing argument");
    nl_buf b = {0};
    nl_status inner;
    int rc = nl_config_model_json(d, &b, &inner);
    if (rc) {
        nl_buf_free(&b);
        return nl_fail(st, rc, "model JSON: %s", inner.msg);
    }
    if (b.len >= cap) {
        if (cap) buf[0] = '\0';
        nl_fail(st, NL_EINVAL, "model JSON: buffer of %zu bytes is too small (%zu needed)", cap, b.len + 1);
        nl_buf_free(&b);
        return NL_EINVAL;
    }
    memcpy(buf, b.p, b.len + 1);
    nl_buf_free(&b);
    return NL_OK;
}

int nl_model_desc_from_json(const char *json, size_t len, nl_model_desc *out, nl_status *st) {
    nl_config c;
    int rc = nl_config_parse(json, len, 1, out ? &c : NULL, st);
    if (!rc) *out = c.model;
    return rc;
}

int nl_model_desc_from_json_file(const char *path, nl_model_desc *out, nl_status *st) {
    uint8_t *buf;
    size_t len;
    int rc = nl_file_read_all(path, &buf, &len, MODEL_JSON_MAX_FILE, st);
    if (rc) return rc;
    rc = nl_model_desc_from_json((const char *)buf, len, out, st);
    free(buf);
    if (rc && st) {
        char msg[sizeof st->msg];
        memcpy(msg, st->msg, sizeof msg);
        nl_fail(st, rc, "%.100s: %.150s", path, msg);
    }
    return rc;
}

int nl_model_desc_to_json_file(const nl_model_desc *d, const char *path, nl_status *st) {
    char buf[NL_MODEL_JSON_MAX + 1];
    int rc = nl_model_desc_to_json(d, buf, sizeof buf - 1, st);
    if (rc) return rc;
    size_t n = strlen(buf);
    buf[n] = '\n';
    return nl_file_write_atomic(path, buf, n + 1, st);
}
