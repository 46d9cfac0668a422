#include "nl_synth.h"
#include "serialize/nl_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/nl_crc32.h"
#include "base/nl_rng.h"

static const char *const batch_files[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                           "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
static const char meta_text[] = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";

/* splitmix64: own copy so the helpers do not depend on the core's RNG. */
static uint64_t mix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Clearly different colours, one per class. */
static const uint8_t palette[10][3] = {{220, 40, 40},  {40, 200, 40},  {40, 60, 220},  {230, 210, 40},
                                       {200, 50, 200}, {40, 210, 210}, {240, 140, 30}, {130, 130, 130},
                                       {120, 60, 20},  {250, 250, 250}};

void nl_synth_image(uint8_t *pixels, int label, uint64_t seed) {
    uint64_t s = seed ^ 0xC1FA5EEDull;
    int c = ((label % 10) + 10) % 10;
    int period = 4 + 2 * (c / 2);          /* 4, 4, 6, 6, ... 12 */
    int vertical = c & 1;
    int phase = (int)(mix(&s) % (uint64_t)period);
    int brightness = (int)(mix(&s) % 41) - 20;
    for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
            int t = ((vertical ? x : y) + phase) % period;
            int on = t < period / 2;           /* stripe: full colour, else a third of it */
            uint64_t r = mix(&s);
            for (int ch = 0; ch < 3; ch++) {
                int v = on ? palette[c][ch] : palette[c][ch] / 3;
                v += brightness + (int)((r >> (16 * ch)) % 49) - 24;
                pixels[ch * 1024 + y * 32 + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
}

void nl_synth_batch(uint8_t *buf, int n, uint64_t seed) {
    uint64_t s = seed;
    for (int i = 0; i < n; i++) {
        uint8_t *rec = buf + (size_t)i * 3073;
        int label = (int)(mix(&s) % 10);
        rec[0] = (uint8_t)label;
        nl_synth_image(rec + 1, label, mix(&s));
    }
}

uint64_t nl_synth_batch_seed(uint64_t seed, int b) {
    uint64_t s = seed + (uint64_t)b * 0x632BE59BD9B4E019ull;
    return mix(&s);
}

int nl_synth_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(data, 1, len, f) == len;
    ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

uint8_t *nl_synth_read_file(const char *path, size_t *len) {
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *p = realloc(buf, cap *= 2);
        if (!p) free(buf);
        buf = p;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    if (buf) *len = n;
    return buf;
}

int nl_synth_write_dir(const char *dir, int n_per_train_batch, int n_test, uint64_t seed) {
    char path[4096];
    snprintf(path, sizeof path, "%s/cifar-10-batches-bin", dir);
    if (mkdir(path, 0755) != 0) {
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return -1;
    }
    size_t max_n = (size_t)(n_per_train_batch > n_test ? n_per_train_batch : n_test);
    uint8_t *buf = malloc(NL_SYNTH_BATCH_BYTES(max_n ? max_n : 1));
    if (!buf) return -1;
    int rc = 0;
    for (int b = 0; b < 6 && !rc; b++) {
        int n = b < 5 ? n_per_train_batch : n_test;
        nl_synth_batch(buf, n, nl_synth_batch_seed(seed, b));
        snprintf(path, sizeof path, "%s/cifar-10-batches-bin/%s", dir, batch_files[b]);
        rc = nl_synth_write_file(path, buf, NL_SYNTH_BATCH_BYTES(n));
    }
    free(buf);
    if (!rc) {
        snprintf(path, sizeof path, "%s/cifar-10-batches-bin/batches.meta.txt", dir);
        rc = nl_synth_write_file(path, meta_text, sizeof meta_text - 1);
    }
    return rc;
}

/* ---- tar ---- */

/* Writes value as zero-padded octal filling width-1 digits plus a NUL. */
static void octal(char *field, int width, unsigned long long value) {
    snprintf(field, (size_t)width, "%0*llo", width - 1, value);
}

/* Fills a ustar header; returns -1 if the name does not fit. */
static int tar_header(uint8_t *h, const char *name, size_t size) {
    memset(h, 0, 512);
    size_t len = strlen(name);
    const char *base = name;
    if (len > 100) { /* split at a '/' into prefix (<= 155) and name (<= 100) */
        const char *cut = NULL;
        for (const char *p = name; *p; p++)
            if (*p == '/' && (size_t)(p - name) <= 155 && len - (size_t)(p - name) - 1 <= 100) cut = p;
        if (!cut) return -1;
        memcpy(h + 345, name, (size_t)(cut - name));
        base = cut + 1;
    }
    memcpy(h, base, strlen(base));
    octal((char *)h + 100, 8, 0644);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, size);
    octal((char *)h + 136, 12, 1700000000);
    h[156] = '0';
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum); /* six digits, NUL, then the space kept */
    h[155] = ' ';
    return 0;
}

uint8_t *nl_synth_write_tar(const nl_synth_file *files, int n_files, size_t *out_len) {
    *out_len = 0;
    size_t total = 1024;
    for (int i = 0; i < n_files; i++) total += 512 + (files[i].len + 511) / 512 * 512;
    uint8_t *tar = calloc(1, total);
    if (!tar) return NULL;
    size_t pos = 0;
    for (int i = 0; i < n_files; i++) {
        if (tar_header(tar + pos, files[i].name, files[i].len)) {
            free(tar);
            return NULL;
        }
        pos += 512;
        if (files[i].len) memcpy(tar + pos, files[i].data, files[i].len);
        pos += (files[i].len + 511) / 512 * 512;
    }
    *out_len = total;
    return tar;
}

uint8_t *nl_synth_cifar_tar(int n_per_train_batch, int n_test, uint64_t seed, const char *folder, size_t *out_len) {
    *out_len = 0;
    uint8_t *bufs[6] = {0};
    char names[7][256];
    nl_synth_file files[7];
    uint8_t *tar = NULL;
    for (int b = 0; b < 6; b++) {
        int n = b < 5 ? n_per_train_batch : n_test;
        bufs[b] = malloc(NL_SYNTH_BATCH_BYTES(n ? n : 1));
        if (!bufs[b]) goto done;
        nl_synth_batch(bufs[b], n, nl_synth_batch_seed(seed, b));
        snprintf(names[b], sizeof names[b], "%s%s%s", folder ? folder : "", folder ? "/" : "", batch_files[b]);
        files[b] = (nl_synth_file){names[b], bufs[b], NL_SYNTH_BATCH_BYTES(n)};
    }
    snprintf(names[6], sizeof names[6], "%s%s%s", folder ? folder : "", folder ? "/" : "", "batches.meta.txt");
    files[6] = (nl_synth_file){names[6], (const uint8_t *)meta_text, sizeof meta_text - 1};
    tar = nl_synth_write_tar(files, 7, out_len);
done:
    for (int b = 0; b < 6; b++) free(bufs[b]);
    return tar;
}

/* ---- gzip with stored blocks ---- */

uint8_t *nl_synth_gzip_stored(const uint8_t *data, size_t len, size_t *out_len) {
    *out_len = 0;
    size_t blocks = len / 65535 + 1; /* the last block may be empty */
    size_t total = 10 + blocks * 5 + len + 8;
    uint8_t *gz = malloc(total);
    if (!gz) return NULL;
    static const uint8_t header[10] = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255};
    memcpy(gz, header, 10);
    size_t p = 10, done = 0;
    for (size_t b = 0; b < blocks; b++) {
        size_t n = len - done < 65535 ? len - done : 65535;
        gz[p++] = b + 1 == blocks; /* BFINAL on the last, BTYPE 00 (stored) */
        gz[p++] = (uint8_t)n;
        gz[p++] = (uint8_t)(n >> 8);
        gz[p++] = (uint8_t)~n;
        gz[p++] = (uint8_t)(~n >> 8);
        if (n) memcpy(gz + p, data + done, n);
        p += n;
        done += n;
    }
    uint32_t crc = nl_crc32(0, data, len), size = (uint32_t)len;
    for (int i = 0; i < 4; i++) gz[p++] = (uint8_t)(crc >> (8 * i));
    for (int i = 0; i < 4; i++) gz[p++] = (uint8_t)(size >> (8 * i));
    *out_len = p;
    return gz;
}

/* ---- temp dirs and commands ---- */

int nl_synth_tmpdir(char *path, size_t size) {
    if (size < 32) return -1;
    snprintf(path, size, "/tmp/nl_test_XXXXXX");
    return mkdtemp(path) ? 0 : -1;
}

void nl_synth_rmtree(const char *path) {
    /* Only ever delete what nl_synth_tmpdir made. */
    if (!path || strncmp(path, "/tmp/nl_test_", 13) != 0 || strchr(path, '\'') || strstr(path, "..")) return;
    nl_synth_run("rm -rf '%s'", path);
}

int nl_synth_run(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd) return -1;
    fflush(NULL);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

nl_cifar nl_synth_random_cifar(int n_train, int n_test, uint64_t seed) {
    nl_cifar d;
    memset(&d, 0, sizeof d);
    d.train.n = n_train;
    d.test.n = n_test;
    d.train.labels = malloc((size_t)n_train);
    d.train.pixels = malloc((size_t)n_train * NL_CIFAR_IMAGE_BYTES);
    d.test.labels = malloc((size_t)n_test);
    d.test.pixels = malloc((size_t)n_test * NL_CIFAR_IMAGE_BYTES);
    nl_rng r = nl_rng_stream(seed, 0, 0);
    for (int i = 0; i < n_train; i++) d.train.labels[i] = (uint8_t)nl_rng_below(&r, 10);
    for (int i = 0; i < n_test; i++) d.test.labels[i] = (uint8_t)nl_rng_below(&r, 10);
    for (size_t i = 0; i < (size_t)n_train * NL_CIFAR_IMAGE_BYTES; i++) d.train.pixels[i] = (uint8_t)nl_rng_below(&r, 256);
    for (size_t i = 0; i < (size_t)n_test * NL_CIFAR_IMAGE_BYTES; i++) d.test.pixels[i] = (uint8_t)nl_rng_below(&r, 256);
    for (int c = 0; c < 10; c++)
        snprintf(d.class_names[c], sizeof d.class_names[c], "%s", nl_cifar_default_class_names[c]);
    return d;
}

char *nl_synth_read_text(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *s = (char *)nl_synth_read_file(path, &len);
    if (!s) return calloc(1, 1);
    char *z = realloc(s, len + 1);
    if (!z) {
        free(s);
        return calloc(1, 1);
    }
    z[len] = '\0';
    return z;
}

int nl_synth_count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

float *nl_synth_take_weights(nl_trainer *t, size_t *n) {
    const nl_model_layout *L = nl_trainer_layout(t);
    *n = L->n_params + L->n_bn_state;
    float *out = malloc(sizeof(float) * *n);
    if (out) {
        memcpy(out, nl_trainer_params(t), sizeof(float) * L->n_params);
        memcpy(out + L->n_params, nl_trainer_bn_state(t), sizeof(float) * L->n_bn_state);
    }
    nl_trainer_free(t);
    return out;
}

void nl_synth_train_defaults(nl_train_config *c) {
    nl_config cfg;
    nl_config_default(&cfg, NL_NORM_BN, NL_PRESET_DEFAULT);
    *c = cfg.train;
}
