/* The normlab command-line tool: shared option parsing and the sub-commands. */
#ifndef NL_CLI_H
#define NL_CLI_H

#include <stdio.h>

#include "nn/nl_model.h"
#include "serialize/nl_config.h"
#include "train/nl_train.h"

/* Exit codes: 0 ok, 1 runtime failure (bad file, training diverged), 2 bad command line. */
enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* In a command's list of allowed options: every model / every training setting's flag. */
#define CLI_MODEL_FLAGS "@model"
#define CLI_TRAIN_FLAGS "@train"

typedef struct {
    nl_config config_all;  /* the run's configuration (--config FILE, then the flags) */
    nl_model_desc desc;    /* = config_all.model */
    nl_train_config cfg;   /* = config_all.train */
    const char *config;    /* --config FILE */
    int n_setting_flags;   /* how many settings the flags gave */
    const char *data, *save, *load, *metrics_out, *misclassified, *resume;
    const char *in, *out, *json;  /* export / import / describe / predict (cmd_interop.c) */
    int train_limit, test_limit; /* 0 = whole set */
    int steps;                   /* bench */
    int by_confidence;
    int quiet;
} cli_options;

/* Parses argv[first..] into o (after filling defaults). Prints a one-line error and returns
 * EXIT_USAGE on a bad option (EXIT_RUNTIME on a bad --config file); returns 0 on success.
 * allowed: option names accepted, CLI_MODEL_FLAGS / CLI_TRAIN_FLAGS for whole sections. */
int cli_parse(int argc, char **argv, int first, cli_options *o, const char *const *allowed);
/* Whether argv[first..] contains flag. */
int cli_has_flag(int argc, char **argv, int first, const char *flag);
void cli_print_usage(FILE *f);
/* One entry per setting of the table: flag, value, help (cmd_config.c). */
void cli_print_settings_help(FILE *f);

int cmd_train(int argc, char **argv);
/* normlab config [flags] [--schema]: the full configuration JSON (or the settings table). */
int cmd_config(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_bench(int argc, char **argv);
/* PyTorch interchange (cmd_interop.c): safetensors export/import, the model JSON, logits. */
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_confusion(int argc, char **argv);
int cmd_weights(int argc, char **argv);

/* No --data: points o->data at the CIFAR-10 sample in assets/ (data_source.c; buf holds the
 * path). Returns 0, or EXIT_USAGE with a one-line message if there is no sample. */
int cli_default_data(cli_options *o, char *buf, size_t cap);
/* The one-line notice that the sample is used (image counts, where to get the full set). */
void cli_sample_notice(const cli_options *o, const nl_cifar *data);
/* Loads the data set named by o->data, applying the limits. Prints the error itself. */
int cli_load_data(const cli_options *o, nl_cifar *data);
/* A checkpoint evaluated on the test set (eval, confusion). */
typedef struct {
    nl_trainer *t;
    nl_cifar data;
    nl_eval_result ev;
} cli_evaluated;
/* Loads o->load and o->data and evaluates the test set; prints the error itself. On success
 * free with cli_evaluated_free. */
int cli_load_and_evaluate(const cli_options *o, cli_evaluated *e);
void cli_evaluated_free(cli_evaluated *e);
/* Prints the parameter and receptive-field tables. */
int cli_print_report(FILE *f, const nl_model_desc *d);
/* Prints loss, accuracy, per-class accuracy and the confusion matrix. */
void cli_print_eval(FILE *f, const nl_eval_result *r, const nl_cifar *data);

#endif
