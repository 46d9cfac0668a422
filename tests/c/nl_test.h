/* A minimal test harness: CHECK records a failure and goes on; nl_test_finish prints
 * "N passed, N failed" and returns the exit status. */
#ifndef NL_TEST_H
#define NL_TEST_H

#include <math.h>
#include <stdio.h>

extern int nl_test_passed, nl_test_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            nl_test_passed++;                                                        \
        } else {                                                                     \
            nl_test_failed++;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                          \
    do {                                                              \
        if (cond) {                                                   \
            nl_test_passed++;                                         \
        } else {                                                      \
            nl_test_failed++;                                         \
            fprintf(stderr, "%s:%d: CHECK failed: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)

/* |a-b| <= atol + rtol*|b| */
#define CHECK_CLOSE(a, b, atol, rtol)                                                       \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (atol) + (rtol)*fabs((double)(b)),         \
              "%s = %.9g, %s = %.9g", #a, (double)(a), #b, (double)(b))

int nl_test_finish(const char *name);

#endif
