#!/usr/bin/env bash
# Resumable trial runner for the accuracy study (issue 15): choices are made on the held-out
# validation split only (val_acc), never on the test set.
#   bash bench/experiment/trials/run_trials.sh LIST [--data PATH] [--threads N] [--only NAME]
# LIST has one trial a line: `NAME  normlab-train-flags...` (# starts a comment). Each trial writes,
# under bench/experiment/trials/screen/:
#   NAME.config.json   the full configuration (normlab config with the trial's flags)
#   NAME.jsonl         the metrics, one line per epoch (train/val; the test figures in it are on
#                      --test-limit images only and are NOT used for any choice)
#   NAME.summary.json  final and best val_acc, epochs, training seconds, CPU: its presence marks
#                      the trial done (complete metrics with the same config are summarised, not retrained)
# and appends a row (command, val figures) to the table at the end of trials/README.md.
# A trial whose summary exists is skipped, so the script can be stopped and run again.
set -euo pipefail
cd "$(dirname "$0")/../../.."
[ $# -ge 1 ] || { echo "usage: run_trials.sh LIST [--data PATH] [--threads N] [--only NAME]" >&2; exit 2; }
list="$1"; shift
data=/work/shared/data/cifar-10-binary.tar.gz
threads=0
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;; # one trial of the list (to run several side by side)
    *) echo "run_trials.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
nl=${NL:-build/normlab} # NL: another build of normlab (e.g. a branch with new levers)
dir=bench/experiment/trials
out=$dir/screen
readme=$dir/README.md
[ -x "$nl" ] || { echo "run_trials.sh: $nl missing: build first" >&2; exit 1; }
[ -f "$list" ] || { echo "run_trials.sh: no trial list $list" >&2; exit 1; }
[ -f "$data" ] || { echo "run_trials.sh: no data $data" >&2; exit 1; }
mkdir -p "$out"
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)

while read -r name flags; do
  case "$name" in ''|'#'*) continue ;; esac
  [ -z "$only" ] || [ "$name" = "$only" ] || continue
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "run_trials.sh: bad trial name '$name'" >&2; exit 2; }
  if [ -f "$out/$name.summary.json" ]; then echo "== $name: done, skipped" >&2; continue; fi
  # shellcheck disable=SC2086  # flags are words on purpose
  "$nl" config $flags > "$out/$name.config.json.tmp"
  want=$(jq -r .epochs "$out/$name.config.json.tmp")
  if [ -f "$out/$name.jsonl" ] && [ "$(wc -l < "$out/$name.jsonl")" -eq "$want" ] &&
     "$nl" config --config "$out/$name.config.json" | cmp -s - "$out/$name.config.json.tmp"; then
    # trained to the end by an earlier, interrupted runner: only the summary is missing
    rm "$out/$name.config.json.tmp"
    echo "== $name: metrics complete, summarising" >&2
  else
    mv "$out/$name.config.json.tmp" "$out/$name.config.json"
    echo "== $name: normlab train $flags  ($(date -u +%H:%M:%S))" >&2
    rm -f "$out/$name.jsonl"
    # the test set is evaluated by the CLI every epoch: keep that to 500 images (time, and no temptation)
    nice -n "${NICE:-19}" "$nl" train --config "$out/$name.config.json" --threads "$threads" --data "$data" \
      --test-limit 500 --quiet --metrics-out "$out/$name.jsonl" < /dev/null
  fi
  # training seconds = the epochs' training seconds from the metrics (evaluation excluded)
  wall=$(jq -s 'map(.seconds) | add | round' "$out/$name.jsonl")
  got=$(wc -l < "$out/$name.jsonl")
  [ "$got" -eq "$want" ] || { echo "run_trials.sh: $name stopped after $got of $want epochs" >&2; exit 1; }
  jq -s --arg name "$name" --arg flags "$flags" --arg cpu "$cpu" --argjson secs "$wall" --argjson th "$threads" '{
      name: $name, flags: $flags, epochs: length,
      final_val_acc: .[-1].val_acc, best_val_acc: (map(.val_acc) | max),
      best_epoch: (to_entries | max_by(.value.val_acc) | .key + 1),
      final_val_loss: .[-1].val_loss, final_train_acc: .[-1].train_acc,
      params: .[-1].params, train_seconds: $secs, threads: $th, cpu: $cpu}' "$out/$name.jsonl" \
    > "$out/$name.summary.json.tmp"
  mv "$out/$name.summary.json.tmp" "$out/$name.summary.json"
  row=$(jq -r '"| \(.name) | `\(.flags)` | \(.epochs) | \(.final_val_acc*10000|round/100)% | \(.best_val_acc*10000|round/100)% (ep \(.best_epoch)) | \(.train_seconds) |"' \
    "$out/$name.summary.json")
  ( flock 9; echo "$row" >&9 ) 9>>"$readme" # runners side by side append whole rows
  echo "$row" >&2
done < "$list"
