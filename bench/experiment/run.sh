#!/usr/bin/env bash
# The published experiment (issue 6): BN, GN and LN, 20 epochs each over several seeds, then
# the L1/L2 study on BN, then every table and picture from the runs' metrics and checkpoints.
#   bash bench/experiment/run.sh [--data PATH] [--seeds "1 2 3"] [--threads 2] [--only train|report]
#                                [--no-browser]
# Then the BN seed-1 training once more in the web page (headless Chromium, browser_run.mjs), to
# compare with the native run. Results go to bench/experiment/results/ (metrics .jsonl, checkpoints, PNGs, RESULTS.md).
# A finished run (its checkpoint exists) is not trained again, so the script can be resumed.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=../shared/data/cifar-10-binary.tar.gz
seeds="1 2 3"
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
nl=build/normlab
out=bench/experiment/results
mkdir -p "$out"
[ -x "$nl" ] || { echo "run.sh: $nl missing: run bash tools/build.sh" >&2; exit 1; }

train() { # name, then normlab train options
  local name="$1"; shift
  if [ -f "$out/$name.ckpt" ] && [ "$(wc -l < "$out/$name.jsonl")" -ge 20 ]; then return; fi
  echo "== $name: normlab train $*" >&2
  "$nl" train --data "$data" --epochs 20 --threads "$threads" --quiet \
    --save "$out/$name.ckpt" --metrics-out "$out/$name.jsonl" "$@"
}

if [ "$only" != report ]; then
  for seed in $seeds; do
    train "bn_s$seed" --norm bn --seed "$seed"
    # GN and LN train slower at first and prefer half BN's max LR (bench/experiment/trials)
    for norm in gn ln; do train "${norm}_s$seed" --norm "$norm" --seed "$seed" --max-lr 0.05; done
  done
  # regularisation study on BN (seed 1): L1, L2 (bn_s1: the default 5e-4), both; then none
  train reg_l1 --norm bn --seed 1 --l2 0 --l1 1e-4
  if [ "$browser" = 1 ] && [ ! -f "$out/browser_bn_s1.ckpt" ]; then
    echo "== browser_bn_s1: the bn_s1 training in the web page" >&2
    node bench/experiment/browser_run.mjs --data "$data" --out "$out/browser_bn_s1" --norm bn --seed 1 \
      --epochs 20 --threads "$threads" > "$out/browser_bn_s1.summary.json"
  fi
  train reg_l1l2 --norm bn --seed 1 --l1 1e-4
  train reg_none --norm bn --seed 1 --l2 0
fi

if [ "$only" != train ]; then
  first=${seeds%% *}
  "$nl" plot --metrics "$out/bn_s$first.jsonl,$out/gn_s$first.jsonl,$out/ln_s$first.jsonl" --labels BN,GN,LN \
    --title "BN, GN, LN (seed $first)" --out "$out/curves.png"
  for norm in bn gn ln; do
    "$nl" eval --data "$data" --load "$out/${norm}_s$first.ckpt" --misclassified "$out/${norm}_mistakes.png" \
      > "$out/${norm}_eval.txt"
    "$nl" summary --norm "$norm" > "$out/${norm}_summary.txt"
  done
  "$nl" confusion --data "$data" --load "$out/bn_s$first.ckpt" --out "$out/bn_confusion.png"
  for r in reg_none reg_l1 bn_s1 reg_l1l2; do
    [ -f "$out/$r.ckpt" ] && "$nl" weights --load "$out/$r.ckpt" > "$out/$r.weights.json"
  done
  runs=""; labels=""
  for r in reg_none:none reg_l1:L1 bn_s1:L2 reg_l1l2:L1+L2; do
    [ -f "$out/${r%%:*}.jsonl" ] && runs="$runs,$out/${r%%:*}.jsonl" && labels="$labels,${r#*:}"
  done
  [ -n "$runs" ] && "$nl" plot --metrics "${runs#,}" --labels "${labels#,}" --title "BN: L1 / L2 regularisation" \
    --out "$out/regularisation.png"
  if [ -f "$out/browser_bn_s1.ckpt" ] && [ -f "$out/bn_s1.ckpt" ]; then
    # same seed, same settings: the page's weights should be the native run's, bit for bit
    tmp=$(mktemp -d)
    "$nl" export --load "$out/bn_s1.ckpt" --out "$tmp/native.safetensors" > /dev/null
    "$nl" export --load "$out/browser_bn_s1.ckpt" --out "$tmp/browser.safetensors" > /dev/null
    if cmp -s "$tmp/native.safetensors" "$tmp/browser.safetensors"; then
      echo "bit-identical to the native run's (normlab export of both checkpoints, compared with cmp)." > "$out/browser_vs_native.txt"
    else
      echo "NOT identical to the native run's (normlab export of both checkpoints differ)." > "$out/browser_vs_native.txt"
    fi
    rm -rf "$tmp"
  fi
  node bench/experiment/summarize.mjs "$out" > "$out/RESULTS.md"
  echo "run.sh: wrote $out/RESULTS.md" >&2
fi
