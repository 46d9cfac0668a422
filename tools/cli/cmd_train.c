/* normlab train: runs the epochs with a progress bar on stderr, evaluates the test set after
 * each epoch, rewrites the metrics file (one JSON object per epoch) and the checkpoint
 * atomically, and on Ctrl-C stops after the current step and saves what it has. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "base/nl_buf.h"
#include "base/nl_file.h"
#include "base/nl_thread_pool.h"
#include "serialize/nl_checkpoint.h"

static volatile sig_atomic_t interrupted = 0;
static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void format_eta(double s, char *out, size_t n) {
    if (s < 0 || s > 360000) s = 0;
    int t = (int)(s + 0.5);
    if (t >= 3600) snprintf(out, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else snprintf(out, n, "%d:%02d", t / 60, t % 60);
}

static void draw_progress(const nl_progress *p, int epochs, double img_s, double eta, int tty) {
    if (!tty) return;
    char eta_s[32];
    format_eta(eta, eta_s, sizeof eta_s);
    int width = 24, filled = p->steps_per_epoch ? width * p->step_in_epoch / p->steps_per_epoch : 0;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
    bar[width] = '\0';
    fprintf(stderr, "\repoch %2d/%d [%s] %4d/%d loss %.4f acc %5.1f%% %6.0f img/s ETA %s  ", p->epoch + 1, epochs,
            bar, p->step_in_epoch, p->steps_per_epoch, p->epoch_loss, 100.0 * p->epoch_acc, img_s, eta_s);
    fflush(stderr);
}

/* On --resume, the metrics file keeps the lines of the epochs the checkpoint has finished, so an
 * interrupted run's file ends up as if it had never stopped (lines past that epoch are dropped:
 * they came after the checkpoint). A missing file starts empty. */
static int keep_finished_metrics(const char *path, int epochs_done, nl_buf *metrics) {
    uint8_t *text = NULL;
    size_t len = 0;
    nl_status st;
    FILE *probe = fopen(path, "rb");
    if (!probe) return 0;
    fclose(probe);
    if (nl_file_read_all(path, &text, &len, (size_t)64 << 20, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        return -1;
    }
    size_t start = 0;
    for (int kept = 0; kept < epochs_done && start < len; kept++) {
        const uint8_t *nl = memchr(text + start, '\n', len - start);
        if (!nl) break; /* a torn last line: not a finished epoch */
        size_t end = (size_t)(nl - text) + 1;
        nl_buf_add(metrics, text + start, end - start);
        start = end;
    }
    free(text);
    return 0;
}

static const char *const train_options[] = {CLI_MODEL_FLAGS, CLI_TRAIN_FLAGS, "--config", "--data", "--save",
                                            "--metrics-out", "--resume", "--train-limit", "--test-limit", "--quiet",
                                            NULL};

int cmd_train(int argc, char **argv) {
    cli_options o;
    int rc = cli_parse(argc, argv, 2, &o, train_options);
    if (rc) return rc;
    char sample[4096];
    if ((rc = cli_default_data(&o, sample, sizeof sample))) return rc; /* no --data: assets/ sample */
    nl_cifar data;
    if ((rc = cli_load_data(&o, &data))) return rc;
    if (o.data == sample) cli_sample_notice(&o, &data);
    nl_status st;
    nl_trainer *t;
    if (o.resume) {
        t = nl_checkpoint_load_file(o.resume, o.cfg.threads, &st);
        if (!t) {
            fprintf(stderr, "normlab: %s\n", st.msg);
            nl_cifar_free(&data);
            return EXIT_RUNTIME;
        }
    } else {
        t = nl_trainer_create(&o.desc, &o.cfg, &st);
        if (!t) {
            fprintf(stderr, "normlab: %s\n", st.msg);
            nl_cifar_free(&data);
            return EXIT_USAGE;
        }
    }
    if (nl_trainer_set_data(t, &data, &st)) {
        fprintf(stderr, "normlab: %s\n", st.msg);
        nl_trainer_free(t);
        nl_cifar_free(&data);
        return EXIT_RUNTIME;
    }
    const nl_train_config *cfg = nl_trainer_config(t);
    const nl_model_layout *L = nl_trainer_layout(t);
    int tty = isatty(fileno(stderr)) && !o.quiet;
    if (!o.quiet)
    {
        const nl_cifar_set *val = nl_trainer_val_set(t);
        nl_progress p0;
        nl_trainer_progress(t, &p0);
        char threads[32];
        if (cfg->threads) snprintf(threads, sizeof threads, "%d thread%s", cfg->threads, cfg->threads > 1 ? "s" : "");
        else snprintf(threads, sizeof threads, "all %d cores", nl_thread_pool_available_cores());
        fprintf(stderr, "normlab: %s model, %zu parameters, %d train / %d validation / %d test images, %d epochs of %d steps, %s\n",
                nl_norm_name(L->desc.norm), L->n_params, nl_trainer_train_count(t), val ? val->n : 0, data.test.n,
                cfg->epochs, p0.steps_per_epoch, threads);
    }
    signal(SIGINT, on_sigint);
    nl_buf metrics = {0};
    double run_start = now_seconds(), epoch_start = run_start, train_seconds = 0.0;
    long epoch_images = 0;
    nl_progress p;
    nl_trainer_progress(t, &p);
    if (o.resume && o.metrics_out && keep_finished_metrics(o.metrics_out, p.epoch, &metrics)) {
        nl_buf_free(&metrics);
        nl_trainer_free(t);
        nl_cifar_free(&data);
        return EXIT_RUNTIME;
    }
    rc = 0;
    while (!p.finished && !interrupted) {
        double t0 = now_seconds();
        if (nl_trainer_train_steps(t, 10, &p, &st)) {
            if (tty) fputc('\n', stderr);
            fprintf(stderr, "normlab: %s\n", st.msg);
            rc = EXIT_RUNTIME;
            break;
        }
        double dt = now_seconds() - t0;
        train_seconds += dt;
        epoch_images = (long)p.step_in_epoch * cfg->batch;
        double elapsed = now_seconds() - epoch_start;
        double img_s = elapsed > 0 ? epoch_images / elapsed : 0.0;
        double remaining_steps = (double)(p.total_steps - p.global_step);
        double eta = img_s > 0 ? remaining_steps * cfg->batch / img_s : 0.0;
        draw_progress(&p, cfg->epochs, img_s, eta, tty);
        if (!p.epoch_done) continue;
        /* end of an epoch: evaluate, log, save */
        double epoch_seconds = now_seconds() - epoch_start;
        nl_eval_result ev;
        if (nl_trainer_evaluate(t, &data.test, &ev, &st)) {
            if (tty) fputc('\n', stderr);
            fprintf(stderr, "normlab: %s\n", st.msg);
            rc = EXIT_RUNTIME;
            break;
        }
        /* the validation split, when held out (the figure to tune on: the test set is not) */
        const nl_cifar_set *val_set = nl_trainer_val_set(t);
        nl_eval_result vev = {0};
        if (val_set && nl_trainer_evaluate(t, val_set, &vev, &st)) {
            if (tty) fputc('\n', stderr);
            fprintf(stderr, "normlab: %s\n", st.msg);
            nl_eval_result_free(&ev);
            rc = EXIT_RUNTIME;
            break;
        }
        double ips = epoch_seconds > 0 ? (double)p.steps_per_epoch * cfg->batch / epoch_seconds : 0.0;
        char val_json[96] = "", val_text[64] = "";
        if (val_set) {
            snprintf(val_json, sizeof val_json, ", \"val_loss\": %.6f, \"val_acc\": %.6f", vev.loss, vev.acc);
            snprintf(val_text, sizeof val_text, "  val loss %.4f acc %5.2f%%", vev.loss, 100.0 * vev.acc);
        }
        nl_buf_printf(&metrics,
                      "{\"epoch\": %d, \"train_loss\": %.6f, \"train_acc\": %.6f%s, \"test_loss\": %.6f, "
                      "\"test_acc\": %.6f, \"lr\": %.8g, \"seconds\": %.3f, \"images_per_sec\": %.1f, \"norm\": \"%s\", "
                      "\"params\": %zu}\n",
                      p.epoch + 1, p.epoch_loss, p.epoch_acc, val_json, ev.loss, ev.acc, p.lr, epoch_seconds, ips,
                      nl_norm_name(L->desc.norm), L->n_params);
        if (tty) fputc('\r', stderr);
        if (!o.quiet)
            fprintf(stderr, "epoch %2d/%d  train loss %.4f acc %5.2f%%%s  test loss %.4f acc %5.2f%%  lr %.4g  %.1fs  %.0f img/s%*s\n",
                    p.epoch + 1, cfg->epochs, p.epoch_loss, 100.0 * p.epoch_acc, val_text, ev.loss, 100.0 * ev.acc,
                    p.lr, epoch_seconds, ips, 10, "");
        nl_eval_result_free(&ev);
        nl_eval_result_free(&vev);
        if (o.metrics_out && metrics.oom) fprintf(stderr, "normlab: warning: out of memory for the metrics\n");
        else if (o.metrics_out && nl_file_write_atomic(o.metrics_out, nl_buf_text(&metrics), metrics.len, &st))
            fprintf(stderr, "normlab: warning: %s\n", st.msg);
        if (o.save && nl_checkpoint_save_file(t, o.save, &st)) fprintf(stderr, "normlab: warning: %s\n", st.msg);
        nl_trainer_progress(t, &p);
        epoch_start = now_seconds();
        epoch_images = 0;
    }
    if (interrupted) {
        if (tty) fputc('\n', stderr);
        fprintf(stderr, "normlab: interrupted at step %ld of %ld\n", p.global_step, p.total_steps);
    }
    if (o.save && (interrupted || rc)) {
        /* keep the weights trained so far (a diverged run keeps its last good epoch's file) */
        if (!rc && nl_checkpoint_save_file(t, o.save, &st) == 0) fprintf(stderr, "normlab: saved %s\n", o.save);
    }
    if (!o.quiet && !rc && !interrupted)
        fprintf(stderr, "normlab: done in %.1fs (%.1fs training)%s%s\n", now_seconds() - run_start, train_seconds,
                o.save ? ", checkpoint " : "", o.save ? o.save : "");
    nl_buf_free(&metrics);
    nl_trainer_free(t);
    nl_cifar_free(&data);
    return rc ? rc : (interrupted ? EXIT_RUNTIME : 0);
}
