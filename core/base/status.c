#include "base/nl_status.h"

#include <stdarg.h>
#include <stdio.h>

int nl_fail(nl_status *st, int code, const char *fmt, ...) {
    if (st) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->msg, sizeof st->msg, fmt, ap);
        va_end(ap);
        st->code = code;
    }
    return code;
}

void nl_status_clear(nl_status *st) {
    if (st) {
        st->code = NL_OK;
        st->msg[0] = '\0';
    }
}
