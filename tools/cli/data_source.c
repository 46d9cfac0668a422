/* Where a command's data set comes from when --data is not given: the small CIFAR-10 sample
 * shipped in assets/ (tools/make_sample.py), so `normlab train` works out of the box. It is
 * looked for beside the executable (build/normlab -> assets/ one level up, or assets/ next to
 * it) and in the source tree the CLI was built from; $NORMLAB_SAMPLE names another file. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define SAMPLE_FILE "cifar-10-sample.tar.gz"
#define FULL_SET_URL "https://www.cs.toronto.edu/~kriz/cifar.html"

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Writes "<dir>/<rel>" (without "..", for the messages) to buf if that file exists. */
static int try_path(char *buf, size_t cap, const char *dir, size_t dir_len, const char *rel) {
    char path[4096], *real;
    int n = snprintf(path, sizeof path, "%.*s/%s", (int)dir_len, dir, rel);
    if (n <= 0 || (size_t)n >= sizeof path || !is_file(path)) return 0;
    if ((real = realpath(path, NULL)) != NULL && strlen(real) < cap) {
        memcpy(buf, real, strlen(real) + 1);
        free(real);
        return 1;
    }
    free(real);
    return snprintf(buf, cap, "%s", path) < (int)cap;
}

/* The sample's path in buf, or 0 if there is none. */
static int find_sample(char *buf, size_t cap) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        size_t dir_len = slash ? (size_t)(slash - exe) : 0;
        if (try_path(buf, cap, exe, dir_len, "../assets/" SAMPLE_FILE)) return 1;
        if (try_path(buf, cap, exe, dir_len, "assets/" SAMPLE_FILE)) return 1;
    }
#ifdef NL_ASSETS_DIR /* the source tree's assets/, set by CMake */
    if (try_path(buf, cap, NL_ASSETS_DIR, strlen(NL_ASSETS_DIR), SAMPLE_FILE)) return 1;
#endif
    return 0;
}

int cli_default_data(cli_options *o, char *buf, size_t cap) {
    if (o->data) return 0;
    const char *env = getenv("NORMLAB_SAMPLE");
    if (env && *env) {
        if (!is_file(env)) {
            fprintf(stderr, "normlab: no --data given and the sample named by NORMLAB_SAMPLE (%s) does not exist\n", env);
            return EXIT_USAGE;
        }
        snprintf(buf, cap, "%s", env);
    } else if (!find_sample(buf, cap)) {
        fprintf(stderr, "normlab: --data PATH is required (cifar-10-binary.tar.gz or cifar-10-batches-bin/; "
                        "the built-in sample assets/" SAMPLE_FILE " was not found)\n");
        return EXIT_USAGE;
    }
    o->data = buf;
    return 0;
}

void cli_sample_notice(const cli_options *o, const nl_cifar *data) {
    if (o->quiet) return;
    fprintf(stderr, "normlab: no --data: using the CIFAR-10 sample %s, %d train + %d test images (the full set has "
                    "50,000 + 10,000); for real results get cifar-10-binary.tar.gz from " FULL_SET_URL
                    " (or run: node tools/fetch_cifar.mjs) and pass --data\n", o->data, data->train.n, data->test.n);
}
