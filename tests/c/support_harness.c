#include "nl_test.h"

int nl_test_passed = 0, nl_test_failed = 0;

int nl_test_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, nl_test_passed, nl_test_failed);
    return nl_test_failed ? 1 : 0;
}
