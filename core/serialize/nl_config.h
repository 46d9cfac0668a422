/* The run configuration: the model description and the training settings, described by ONE
 * table of fields (config.c). The table drives everything that reads or writes settings:
 * JSON (files, checkpoints, safetensors metadata, the Wasm API), the CLI's flags (the flag of
 * field `group_size` is `--group-size`), defaults (some per norm), ranges and error messages,
 * and the schema the web page reads at start-up (nl_config_schema_json).
 *
 * The JSON form (nl_config_to_json writes every field, defaults filled in):
 *   {
 *     "format": "normlab-config", "version": 1,
 *     "norm": "gn", "preset": "default", "groups": 0, "group_size": 8,
 *     "widths": [16, 24, ...], "pads": [1, 1, ...], "skips": [["C3", "C5"], ["C7", "C9"]],
 *     "dropout": 0, ..., "epochs": 20, "batch": 128, "schedule": "onecycle", "max_lr": 0.1,
 *     ..., "seed": "4000000000", "threads": 0, "val": 0, "train_fraction": 1
 *   }
 * Reading: format and version may be left out (a partial object like {"norm": "gn"} is
 * fine: missing fields take their defaults for that norm and preset); unknown fields are
 * errors. The seed is written as a decimal string (JSON numbers lose integers above 2^53 in
 * JavaScript); a string of digits 0 .. 2^64-1 or a non-negative integer up to 2^53 - 1 is
 * read. A model description file ("format": "normlab-model", nl_model_json.h) is read too,
 * with the training settings at their defaults. */
#ifndef NL_CONFIG_H
#define NL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/nl_buf.h"
#include "base/nl_status.h"
#include "nn/nl_model.h"
#include "serialize/nl_json.h"
#include "train/nl_train.h"

#define NL_CONFIG_VERSION 1

/* Where the architecture (widths, pads, skips) defaults come from. */
typedef enum { NL_PRESET_DEFAULT = 0, NL_PRESET_REFERENCE = 1 } nl_preset;

typedef struct {
    nl_model_desc model;
    nl_train_config train;
    nl_preset preset;
} nl_config;

typedef enum {
    NL_CF_INT,    /* int */
    NL_CF_FLOAT,  /* float, range-checked as a double before the cast */
    NL_CF_BOOL,   /* int 0/1; JSON true/false; CLI --name [0|1|true|false], --no-name */
    NL_CF_ENUM,   /* int index into options; JSON/CLI: the option's name */
    NL_CF_SEED,   /* uint64 */
    NL_CF_BLOCKS, /* int[NL_NUM_BLOCKS], each item in min..max; CLI: "a,b,..." */
    NL_CF_SKIPS   /* the skip list; JSON [["FROM", "TO"], ...]; CLI "FROM-TO,..." or "none" */
} nl_config_type;

typedef struct {
    const char *name;    /* JSON name */
    nl_config_type type;
    int model;           /* 1: part of the model description, 0: a training setting */
    size_t offset;       /* of the value in nl_config */
    double min, max;     /* allowed range (numbers, and each item of BLOCKS) */
    int min_open, max_open; /* the bound itself is excluded */
    double def[3];       /* default for bn, gn, ln (numbers, bools, enum indices) */
    const char *const *options; /* ENUM: names, NULL-terminated */
    const char *help;
} nl_config_field;

/* The table, in the order the JSON is written. */
const nl_config_field *nl_config_fields(int *count);
const nl_config_field *nl_config_field_by_name(const char *json_name);
/* By CLI flag ("--group-size"; "--no-nesterov" finds nesterov and sets *negated). */
const nl_config_field *nl_config_field_by_flag(const char *flag, int *negated);
/* "--group-size" for group_size. */
void nl_config_flag_name(const nl_config_field *f, char *out, size_t n);

/* Every field at its default for this norm and preset. */
void nl_config_default(nl_config *c, nl_norm_kind norm, nl_preset preset);
/* Checks every field against the table and the cross-field rules (groups divide the
 * widths, skip shapes, momentum cycle, val a multiple of 10). */
int nl_config_validate(const nl_config *c, nl_status *st);
/* The training settings alone (what the trainer checks). */
int nl_config_validate_train(const nl_train_config *t, nl_status *st);

/* Builds a configuration from a JSON object (may be NULL) and then textual overrides
 * (CLI flags; may be none), later ones winning: the norm and preset are found first, the
 * defaults for them filled in, then the given fields set and everything validated. Errors
 * name the field as its source spells it ("max_lr" in JSON, "--max-lr" for a flag). */
typedef struct {
    const nl_config_field *field;
    const char *text;  /* the flag's value; NULL for a bare boolean flag */
    int negated;       /* --no-NAME */
} nl_config_override;
int nl_config_build(const nl_json *obj, const nl_config_override *ov, int n_ov, nl_config *out, nl_status *st);

/* JSON text -> configuration (as nl_config_build with no overrides). */
int nl_config_from_json(const char *json, size_t len, nl_config *out, nl_status *st);
/* The same; with model_description set, the text must be a model description (nl_model_json.h:
 * format "normlab-model", version and norm required, model fields only), and messages start
 * with "model JSON: " instead of "config: ". */
int nl_config_parse(const char *json, size_t len, int model_description, nl_config *out, nl_status *st);
int nl_config_from_json_file(const char *path, nl_config *out, nl_status *st);
/* Validates c, then appends its JSON (every field; a trailing newline when pretty). */
int nl_config_to_json(const nl_config *c, nl_buf *out, int pretty, nl_status *st);
/* The model part alone as a model description JSON (nl_model_json.h: "format":
 * "normlab-model", the layout, every model field but the preset; no trailing newline). */
int nl_config_model_json(const nl_model_desc *d, nl_buf *out, nl_status *st);
/* A trainer's configuration (its model and settings; the preset is "default"). */
void nl_config_of(nl_config *c, const nl_model_desc *d, const nl_train_config *t);

/* The table as JSON for user interfaces: {"format": "normlab-config-schema", "version": 1,
 * "fields": [{"name", "flag", "section", "type", "min", "max", "min_open", "max_open",
 * "default", "defaults": {"bn", "gn", "ln"}, "options", "help"}, ...]}; list fields give
 * their defaults per preset ("presets": {"default": [...], "reference": [...]}). */
int nl_config_schema_json(nl_buf *out, nl_status *st);

#endif
