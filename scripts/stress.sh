#!/usr/bin/env bash
# Stress harness for training trust (docs/TRAINING.md, docs/BENCHMARKS.md "Training you can trust").
#
# Runs every given recipe (default: configs/camvid-*.yaml) K times for each worker count, M iterations each with two
# validations, plus the README demo N times, and reports per recipe: runs, finished, NaN (a "diverged" stop), crashes
# (internal errors, signals, anything else), and whether every run printed the same loss sequence to the last bit
# (the metrics log's losses are compared across all runs and worker counts of a recipe). With recipes given and no
# --demo-runs, only those recipes run; with --demo-runs and no recipes, only the demo.
#
#   scripts/stress.sh [--runs K] [--iterations M] [--workers "0 2"] [--threads T] [--gc-stress MS] [--demo-runs N]
#                     [--trace] [--cli PATH] [--out DIR] [--set KEY=VALUE ...] [recipe.yaml ...]
#
# --set is passed to every recipe run (e.g. --set model.init_weights=runs/stage1/best.ckpt to stress the second stage
# of a staged recipe such as configs/camvid-best.yaml).
# --gc-stress MS sets SHARPSEG_GC_STRESS (a forced gen-0 garbage collection every MS ms, which turns the rare
# use-after-free of TorchSharp 0.107 into an immediate one when the keep-alive fix is missing).
# --trace fingerprints every stage of every training step (SHARPSEG_TRACE_STEPS: the batch, logits, loss, each
# gradient, each parameter after the step) into DIR/<run>.trace, and the summary names, for each run whose trace
# differs from the recipe's first run, the first stage where it does (slower: every tensor is read back).
# --cli defaults to the Release build in src/SharpSeg.Cli/bin; copy that folder elsewhere first if you will rebuild
# while the harness runs. Needs only bash and coreutils. Writes DIR/summary.md and one folder per run.
set -uo pipefail
cd "$(dirname "$0")/.."

runs=5 iterations=12 workers="0 2" threads="" gc_stress="" trace=0 demo_runs=0 out="runs/stress" recipes=() sets=()
cli="src/SharpSeg.Cli/bin/Release/net10.0/linux-x64/SharpSeg.Cli"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --gc-stress) gc_stress=$2; shift 2 ;;
    --demo-runs) demo_runs=$2; shift 2 ;;
    --trace) trace=1; shift ;;
    --cli) cli=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "stress.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
    *) recipes+=("$1"); shift ;;
  esac
done
[ ${#recipes[@]} -gt 0 ] || [ "$demo_runs" -gt 0 ] || recipes=(configs/camvid-*.yaml)
[ -x "$cli" ] || { echo "stress.sh: $cli not found; build first: dotnet build -c Release src/SharpSeg.Cli" >&2; exit 1; }
mkdir -p "$out"
export SHARPSEG_GC_STRESS="${gc_stress}"
summary="$out/summary.md"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
isa=$(grep -o -m1 -wE 'avx512f' /proc/cpuinfo || echo avx2)
{
  echo "# Stress run $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "CPU: $cpu ($isa), $(nproc) cores; commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $iterations iterations per run," \
       "workers: $workers; threads: ${threads:-recipe default}; GC stress: ${gc_stress:-off}; trace: $([ $trace = 1 ] && echo on || echo off)${sets[*]:+; ${sets[*]}}"
  echo
  echo "| recipe | runs | finished | NaN | crashes | other errors | losses identical | median wall (s) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$summary"

# The loss column of a metrics log, one value per line (the fingerprint of a run).
# (The first "loss" of each record: nested objects such as phase_ms come after it.)
losses() { awk '/"kind":"train"/ { if (match($0, /"loss":[^,}]*/)) print substr($0, RSTART + 7, RLENGTH - 7) }' "$1" 2>/dev/null; }

classify() { # rc stderr-file -> finished | nan | crash | error
  local rc=$1 err=$2
  if [ "$rc" = 0 ]; then echo finished
  elif grep -q 'diverged' "$err"; then echo nan
  elif [ "$rc" -ge 2 ] || grep -q 'internal error' "$err"; then echo crash
  else echo error; fi
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

report() { # name, then the run folders' results collected in the arrays below
  local name=$1 n=${#rcs[@]} fin=0 nan=0 crash=0 err=0 identical=yes
  for c in "${kinds[@]}"; do case $c in finished) fin=$((fin+1));; nan) nan=$((nan+1));; crash) crash=$((crash+1));; *) err=$((err+1));; esac; done
  local first=""
  for f in "${prints[@]}"; do [ -z "$first" ] && first=$f; [ "$f" = "$first" ] || identical=no; done
  [ $fin -eq $n ] || identical="$identical (finished runs only)"
  local wall; wall=$(printf '%s\n' "${walls[@]}" | median)
  echo "| $name | $n | $fin | $nan | $crash | $err | $identical | $wall |" | tee -a "$summary"
  # With --trace: where each run whose trace or losses differ from the first run's parts from it (its first differing
  # line; a trace can differ where the printed losses do not).
  local i
  for i in "${!traces[@]}"; do
    [ "$i" = 0 ] && continue
    cmp -s "${traces[0]}" "${traces[$i]}" && [ "${prints[$i]}" = "${prints[0]}" ] && continue
    local at; at=$(diff "${traces[0]}" "${traces[$i]}" 2>/dev/null | grep -m1 '^>' | cut -c3- | awk '{print "iteration " $1 ", " $2 " " $3}')
    parts+=("- $name, ${labels[$i]}: ${at:-the losses differ but the traces do not}")
  done
}
parts=()

# Runs the CLI with the given arguments into run folder $1 (metrics log at $2), records exit code, kind, loss
# fingerprint and wall time in the arrays report() reads, and prints one line (label $3) on stderr.
run_one() {
  local dir=$1 log=$2 label=$3; shift 3
  rm -rf "$dir" "$dir.trace"
  labels+=("$label")
  [ "$trace" = 1 ] && [ "$1" = train ] && traces+=("$dir.trace")
  local start; start=$(date +%s)
  if [ "$trace" = 1 ] && [ "$1" = train ]; then SHARPSEG_TRACE_STEPS="$dir.trace" "$cli" "$@" > "$dir.out" 2> "$dir.err"
  else "$cli" "$@" > "$dir.out" 2> "$dir.err"; fi
  local rc=$?
  walls+=($(( $(date +%s) - start )))
  rcs+=("$rc")
  local kind; kind=$(classify "$rc" "$dir.err")
  kinds+=("$kind")
  prints+=("$(losses "$log" | md5sum | cut -c1-12)")
  echo "$label: $kind (exit $rc, ${walls[-1]} s) $(head -c 300 "$dir.err" | tr '\n' ' ')" >&2
}

for recipe in "${recipes[@]}"; do
  name=$(basename "$recipe" .yaml)
  rcs=() kinds=() prints=() walls=() traces=() labels=()
  for w in $workers; do
    for k in $(seq 1 "$runs"); do
      dir="$out/$name-w$w-r$k"
      set -- train "$recipe" --out "$dir" --set train.iterations="$iterations" --set train.val_every=$(( (iterations + 1) / 2 )) \
        --set train.log_every=1 --set train.workers="$w"
      [ -n "$threads" ] && set -- "$@" --set train.threads="$threads"
      set -- "$@" "${sets[@]}"
      run_one "$dir" "$dir/metrics.jsonl" "$name workers=$w run=$k" "$@"
    done
  done
  report "$name"
done

if [ "$demo_runs" -gt 0 ]; then
  rcs=() kinds=() prints=() walls=() traces=() labels=()
  for k in $(seq 1 "$demo_runs"); do
    dir="$out/demo-r$k"
    set -- demo --out "$dir"
    [ -n "$threads" ] && set -- "$@" --set train.threads="$threads"
    run_one "$dir" "$dir/run/metrics.jsonl" "demo run=$k" "$@"
  done
  report "demo (full, 800 iterations)"
fi
if [ ${#parts[@]} -gt 0 ]; then
  { echo; echo "Where runs part from the first run of their recipe (--trace):"; printf '%s\n' "${parts[@]}"; } | tee -a "$summary"
fi
echo
echo "summary: $summary"
