/* Error reporting for every public function of the core: a code plus a one-line message.
 * Nothing in the library calls exit() or abort() on bad input; callers check the return code. */
#ifndef NL_STATUS_H
#define NL_STATUS_H

enum {
    NL_OK = 0,
    NL_EINVAL = 1,    /* invalid argument or setting */
    NL_EIO = 2,       /* file could not be opened, read or written */
    NL_EFORMAT = 3,   /* bytes are not in the expected format (corrupt, truncated) */
    NL_ENOMEM = 4,    /* allocation failed */
    NL_EMISMATCH = 5  /* well-formed but does not fit (other architecture, wrong version) */
};

typedef struct {
    int code;
    char msg[256];
} nl_status;

/* Sets st (if not NULL) to code and a printf-formatted message; returns code. */
int nl_fail(nl_status *st, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Resets st to NL_OK with an empty message. */
void nl_status_clear(nl_status *st);

#endif
