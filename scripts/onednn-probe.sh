#!/usr/bin/env bash
# Probes libtorch's oneDNN convolutions on this CPU (docs/TRAINING.md, "A CPU whose kernels are wrong"): correctness in
# both memory layouts, crashes on 1x1 convolutions, and speed against libtorch's native kernels.
#   scripts/onednn-probe.sh [ISA...]      e.g. scripts/onednn-probe.sh default fixed SSE41 AVX AVX2
# "default" is oneDNN as libtorch ships it (no cap, the CPU's own cache description); "fixed" the same with SharpSeg's
# cache sizes (SharpSeg.Engine.OneDnnCacheSizes, what sharpseg does on a CPU that does not report its caches).
# Needs the Release CLI built (dotnet build -c Release src/SharpSeg.Cli). Each crash probe is its own process.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=src/SharpSeg.Cli/bin/Release/net10.0/linux-x64
[ -f "$bin/TorchSharp.dll" ] || { echo "error: $bin/TorchSharp.dll not found; run: dotnet build -c Release src/SharpSeg.Cli" >&2; exit 1; }
dir=${PROBE_DIR:-/tmp/onednn-probe}
rm -rf "$dir" && cp -r "$bin" "$dir"
dotnet build -c Release -nologo -v q scripts/onednn-probe/OneDnnProbe.csproj -p:ProbeDir="$dir" >/dev/null || { echo "error: the probe did not build" >&2; exit 1; }
probe="$dir/OneDnnProbe"
lscpu | grep -E "Model name|Flags" | cut -c1-120
[ -d /sys/devices/system/cpu/cpu0/cache ] && echo "cache topology: reported" || echo "cache topology: NOT reported"
for isa in "${@:-default}"; do
  unset PROBE_CACHE_FIX
  if [ "$isa" = default ]; then unset ONEDNN_MAX_CPU_ISA
  elif [ "$isa" = fixed ]; then unset ONEDNN_MAX_CPU_ISA; export PROBE_CACHE_FIX=1
  else export ONEDNN_MAX_CPU_ISA=$isa; fi
  echo "== ONEDNN_MAX_CPU_ISA=${ONEDNN_MAX_CPU_ISA:-(unset)}${PROBE_CACHE_FIX:+, SharpSeg's cache sizes}"
  for m in "nchw" "cl" "nchw 1x1" "cl 1x1" "nchw transposed" "cl transposed"; do
    out=$("$probe" check $m 2>&1); rc=$?
    echo "check $m: $(grep -v NNPACK <<<"$out" | tail -1) $([ $rc = 0 ] || echo "(process died, exit $rc)")"
  done
  crashes=0; runs=0
  for layout in nchw cl; do for cin in 64 256 512 1024 2048; do for cout in 64 256 512 1024; do for s in 1 2; do
    runs=$((runs+1))
    r=$("$probe" crash $layout 8 $cin $cout 24 32 1 $s 1 2>/dev/null | tail -1)
    [ "$r" = ok ] || { crashes=$((crashes+1)); echo "  crash: $layout 1x1 stride $s $cin->$cout"; }
  done; done; done; done
  echo "1x1 crash probe: $crashes of $runs died"
  "$probe" speed 2>&1 | grep total
done
