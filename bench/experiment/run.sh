#!/usr/bin/env bash
# The published experiment (issue 15): BN, GN and LN with their per-norm default recipes (the
# settings table, core/serialize/config.c), 20 epochs on the full training set, 3 fresh seeds;
# the three norms under one shared recipe (BN's); the L1/L2 study on BN's defaults; the BN and GN
# first-seed runs once more in the web page; then every table and picture from the runs' files.
#   bash bench/experiment/run.sh [--data PATH] [--seeds "101 102 103"] [--threads N] [--only train|report]
#                                [--no-browser]
# The recipes were chosen on a validation split only (bench/experiment/trials/README.md); these runs
# are the one test measurement of the chosen settings. Results go to bench/experiment/results/
# (NAME.config.json, NAME.jsonl metrics, NAME.ckpt, PNGs, RESULTS.md).
# Resumable: a run whose checkpoint and 20 epochs of metrics exist is not trained again, and an
# interrupted one continues from its last checkpoint (saved every epoch) with --resume. Several
# copies may run side by side (e.g. two with --threads 1 on 2 cores): each run is claimed with a
# lock directory (NAME.lock, holding the owner's PID; a dead owner's lock is taken over).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=../shared/data/cifar-10-binary.tar.gz
seeds="101 102 103" # fresh seeds: the validation screens used seed 1
threads=2
only=""
browser=1
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --no-browser) browser=0; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
nl=${NL:-build/normlab}
out=bench/experiment/results
mkdir -p "$out"
[ -x "$nl" ] || { echo "run.sh: $nl missing: run bash tools/build.sh" >&2; exit 1; }

done_run() { [ -f "$out/$1.ckpt" ] && [ -f "$out/$1.jsonl" ] && [ "$(wc -l < "$out/$1.jsonl")" -ge 20 ]; }
claim() { # take NAME.lock unless a live process holds it
  local lock="$out/$1.lock"
  if mkdir "$lock" 2>/dev/null; then echo $$ > "$lock/pid"; return 0; fi
  local pid; pid=$(cat "$lock/pid" 2>/dev/null || echo "")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then return 1; fi
  echo $$ > "$lock/pid"; return 0 # its owner died: take it over
}
train() { # name, then normlab train options (the settings not given are the norm's defaults)
  local name="$1"; shift
  done_run "$name" && return 0
  claim "$name" || return 0
  if [ -f "$out/$name.ckpt" ] && [ -f "$out/$name.config.json" ]; then
    # an interrupted run (the CLI saves a checkpoint every epoch and on Ctrl-C): continue it;
    # the metrics file keeps its finished epochs
    echo "== $name: resuming ($(date -u +%H:%M))" >&2
    "$nl" train --data "$data" --resume "$out/$name.ckpt" --threads "$threads" --quiet \
      --save "$out/$name.ckpt" --metrics-out "$out/$name.jsonl"
  else
    echo "== $name: normlab train $* ($(date -u +%H:%M))" >&2
    "$nl" config "$@" --epochs 20 > "$out/$name.config.json"
    "$nl" train --data "$data" --config "$out/$name.config.json" --threads "$threads" --quiet \
      --save "$out/$name.ckpt" --metrics-out "$out/$name.jsonl"
  fi
  rm -rf "$out/$name.lock"
}
browser_run() { # name, norm, seed: the norm's default recipe in the page
  local name="$1" norm="$2" seed="$3"
  [ "$browser" = 1 ] || return 0
  [ -f "$out/$name.ckpt" ] && return 0
  claim "$name" || return 0
  echo "== $name: the ${norm}_s$seed training in the web page ($(date -u +%H:%M))" >&2
  node bench/experiment/browser_run.mjs --data "$data" --out "$out/$name" --norm "$norm" --seed "$seed" \
    --epochs 20 --threads "$threads" --timeout-min 120 > "$out/$name.summary.json"
  rm -rf "$out/$name.lock"
}

if [ "$only" != report ]; then
  for seed in $seeds; do
    for norm in bn gn ln; do train "${norm}_s$seed" --norm "$norm" --seed "$seed"; done
  done
  first=${seeds%% *}
  # L1/L2 study on BN's defaults (first seed): none, L1, L2 (= bn_sFIRST, the default), L1 + L2
  bn_l2=$("$nl" config --norm bn | sed -n 's/^ *"l2": *\([^,]*\),*$/\1/p')
  train reg_none --norm bn --seed "$first" --l1 0 --l2 0
  browser_run browser_bn bn "$first"
  browser_run browser_gn gn "$first"
  train reg_l1 --norm bn --seed "$first" --l1 1e-4 --l2 0
  train reg_l1l2 --norm bn --seed "$first" --l1 1e-4 --l2 "$bn_l2"
  # one shared recipe (BN's default settings) for GN and LN, first seed: the pure effect of the norm
  "$nl" config --norm bn --seed "$first" --epochs 20 > "$out/shared_recipe.config.json"
  for norm in gn ln; do train "shared_$norm" --config "$out/shared_recipe.config.json" --norm "$norm"; done
fi

if [ "$only" != train ]; then
  first=${seeds%% *}
  "$nl" plot --metrics "$out/bn_s$first.jsonl,$out/gn_s$first.jsonl,$out/ln_s$first.jsonl" --labels BN,GN,LN \
    --title "BN, GN, LN (seed $first)" --out "$out/curves.png"
  for norm in bn gn ln; do
    "$nl" eval --data "$data" --load "$out/${norm}_s$first.ckpt" --misclassified "$out/${norm}_mistakes.png" \
      > "$out/${norm}_eval.txt"
    "$nl" summary --config "$out/${norm}_s$first.config.json" > "$out/${norm}_summary.txt"
  done
  "$nl" confusion --data "$data" --load "$out/bn_s$first.ckpt" --out "$out/bn_confusion.png"
  for r in reg_none reg_l1 "bn_s$first" reg_l1l2; do
    if [ -f "$out/$r.ckpt" ]; then "$nl" weights --load "$out/$r.ckpt" > "$out/$r.weights.json"; fi
  done
  runs=""; labels=""
  for r in reg_none:none reg_l1:L1 "bn_s$first:L2" reg_l1l2:L1+L2; do
    if done_run "${r%%:*}"; then runs="$runs,$out/${r%%:*}.jsonl"; labels="$labels,${r#*:}"; fi
  done
  if [ -n "$runs" ]; then
    "$nl" plot --metrics "${runs#,}" --labels "${labels#,}" --title "BN: L1 / L2 regularisation" \
      --out "$out/regularisation.png"
  fi
  for norm in bn gn; do
    b="$out/browser_$norm"
    [ -f "$b.ckpt" ] && [ -f "$out/${norm}_s$first.ckpt" ] || continue
    # same seed, same settings: the page's weights should be the native run's, bit for bit
    tmp=$(mktemp -d)
    "$nl" export --load "$out/${norm}_s$first.ckpt" --out "$tmp/native.safetensors" > /dev/null
    "$nl" export --load "$b.ckpt" --out "$tmp/browser.safetensors" > /dev/null
    if cmp -s "$tmp/native.safetensors" "$tmp/browser.safetensors"; then
      echo "bit-identical to the native run's (normlab export of both checkpoints, compared with cmp)." > "${b}_vs_native.txt"
    else
      echo "NOT identical to the native run's (normlab export of both checkpoints differ)." > "${b}_vs_native.txt"
    fi
    rm -rf "$tmp"
  done
  node bench/experiment/summarize.mjs "$out" "$first" > "$out/RESULTS.md"
  echo "run.sh: wrote $out/RESULTS.md" >&2
fi
