"""Reads a run configuration (what `normlab config` prints, the page exports and checkpoints
embed: core/serialize/config.c is the table of every setting) for train.py: the model part
through normlab_model.parse_desc, the training part checked against the same types and ranges
as the core (TRAIN_FIELDS mirrors the core's table; tests/interop/test_pytorch_train.py checks
it against `normlab config --schema`). Floats are rounded to float32, as the core stores them.

    from run_config import load_config, ConfigError
    desc, cfg, config_json = load_config('c.json', overrides={'epochs': '1'})
"""
import json
import os

import normlab_model
from normlab_model import f32

SEED_MAX = (1 << 64) - 1
SAFE_INT_MAX = (1 << 53) - 1

# name: (type, default, min, max, min_open, max_open | enum options)
TRAIN_FIELDS = {
    "epochs": ("int", 20, 1, 1000, False, False),
    "batch": ("int", 128, 1, 4096, False, False),
    "schedule": ("enum", "onecycle", ("onecycle", "step", "const")),
    "max_lr": ("float", 0.1, 0, 10, True, False),
    "momentum": ("float", 0.9, 0, 1, False, True),
    "nesterov": ("bool", False),
    "l1": ("float", 0.0, 0, 1, False, True),
    "l2": ("float", 0.0005, 0, 1, False, True),
    "norm_decay": ("bool", True),
    "label_smoothing": ("float", 0.0, 0, 1, False, True),
    "pct_start": ("float", 0.25, 0, 1, True, True),
    "div_factor": ("float", 25.0, 1, 1e6, False, False),
    "final_div_factor": ("float", 1e4, 1, 1e9, False, False),
    "cycle_momentum": ("bool", True),
    "base_momentum": ("float", 0.85, 0, 1, False, True),
    "max_momentum": ("float", 0.95, 0, 1, False, True),
    "step_epochs": ("int", 8, 1, 1000, False, False),
    "step_gamma": ("float", 0.1, 0, 1, True, False),
    "crop": ("int", 4, 0, 16, False, False),
    "flip": ("bool", True),
    "cutout": ("int", 0, 0, 32, False, False),
    "seed": ("seed", 1),
    "threads": ("int", 0, 0, 64, False, False),
    "val": ("int", 0, 0, 50000, False, False),
    "train_fraction": ("float", 1.0, 0, 1, True, False),
}
# fields of the configuration that are neither training settings nor the model description's
OTHER_FIELDS = {"format", "version", "preset"}


class ConfigError(ValueError):
    pass


def _range_text(spec):
    lo, hi, lo_open, hi_open = spec[2:6]
    return "%s%g, %g%s" % ("(" if lo_open else "[", lo, hi, ")" if hi_open else "]")


def check_field(name, v):
    """The value of training setting `name` from JSON (or the text of a flag), checked; floats
    rounded to float32."""
    spec = TRAIN_FIELDS[name]
    kind = spec[0]
    if kind == "bool":
        if isinstance(v, str) and v in ("0", "1", "true", "false"):
            v = v in ("1", "true")
        if not isinstance(v, bool):
            raise ConfigError("%s must be true or false, got %r" % (name, v))
        return v
    if kind == "enum":
        if v not in spec[2]:
            raise ConfigError("%s must be one of %s, got %r" % (name, " ".join(spec[2]), v))
        return v
    if kind == "seed":
        if isinstance(v, str) and v.isdigit() and len(v) <= 20 and int(v) <= SEED_MAX:
            return int(v)
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= SAFE_INT_MAX:
            return v
        raise ConfigError('seed must be a decimal string "0" .. "%d" (or an integer up to 2^53-1), got %r' % (SEED_MAX, v))
    if isinstance(v, str):
        try:
            v = int(v) if kind == "int" and v.lstrip("-").isdigit() else float(v)
        except ValueError:
            raise ConfigError("%s must be a number in %s, got %r" % (name, _range_text(spec), v))
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
        raise ConfigError("%s must be a number in %s, got %r" % (name, _range_text(spec), v))
    if kind == "int" and not (isinstance(v, int) or float(v).is_integer()):
        raise ConfigError("%s must be an integer in %s, got %r" % (name, _range_text(spec), v))
    lo, hi, lo_open, hi_open = spec[2:6]
    if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
        raise ConfigError("%s must be in %s, got %r" % (name, _range_text(spec), v))
    return int(v) if kind == "int" else f32(v)


def check_train(cfg):
    if cfg["schedule"] == "onecycle" and cfg["cycle_momentum"] and cfg["base_momentum"] > cfg["max_momentum"]:
        raise ConfigError("the momentum cycle needs base_momentum (%g) <= max_momentum (%g)" %
                          (cfg["base_momentum"], cfg["max_momentum"]))
    if cfg["val"] % 10:
        raise ConfigError("val must be a multiple of 10 (the same number of images from each class), got %d" % cfg["val"])


def load_config(source, overrides=None):
    """(model description dict, training settings dict, the whole configuration as a JSON
    string for the safetensors metadata). source: a path, a JSON string or a dict; a model
    description ("normlab-model") takes the training defaults. overrides: {name: value or text}
    of training settings, applied after the file's."""
    if isinstance(source, str) and not source.lstrip().startswith("{"):
        if not os.path.isfile(source):
            raise ConfigError("%s: no such file" % source)
        try:
            with open(source, "r", encoding="utf-8") as f:
                source = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError("%s: cannot read: %s" % (source, e))
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except ValueError as e:
            raise ConfigError("not valid JSON: %s" % e)
    if not isinstance(source, dict):
        raise ConfigError("the configuration must be a JSON object")
    fmt = source.get("format")
    if fmt not in ("normlab-config", "normlab-model"):
        raise ConfigError('format must be "normlab-config" (or "normlab-model"), got %r' % fmt)
    if source.get("version", 1) != 1:
        raise ConfigError("version %r is not supported (this code reads version 1)" % source.get("version"))
    model_keys = set(normlab_model.DEFAULTS) | {"norm", "layout"}
    cfg = {k: spec[1] for k, spec in TRAIN_FIELDS.items()}
    for k, v in source.items():
        if k in TRAIN_FIELDS and fmt == "normlab-config":
            cfg[k] = check_field(k, v)
        elif k not in model_keys and k not in OTHER_FIELDS:
            raise ConfigError("unknown field '%s'%s" % (k, " in a model description" if fmt == "normlab-model" else ""))
    for k, v in (overrides or {}).items():
        cfg[k] = check_field(k, v)
    for k, spec in TRAIN_FIELDS.items():
        if spec[0] == "float":
            cfg[k] = f32(cfg[k])
    check_train(cfg)
    model_part = {k: v for k, v in source.items() if k not in TRAIN_FIELDS}
    model_part["format"] = "normlab-config"
    try:
        desc = normlab_model.parse_desc(model_part)
    except normlab_model.ModelJSONError as e:
        raise ConfigError(str(e).replace("model JSON: ", ""))
    whole = {"format": "normlab-config", "version": 1}
    whole.update({k: v for k, v in desc.items() if k not in ("format", "version", "layout")})
    if "preset" in source:
        whole["preset"] = source["preset"]
    whole.update({k: (str(v) if k == "seed" else v) for k, v in cfg.items()})
    return desc, cfg, json.dumps(whole)
