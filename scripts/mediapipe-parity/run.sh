#!/usr/bin/env bash
# Parity of SharpSeg's TFLite import with MediaPipe itself: runs the @mediapipe/selfie_segmentation WebAssembly solution
# in headless Chromium on each image (both models), reads its confidence mask (the alpha channel of segmentationMask),
# runs `sharpseg predict --probabilities` with the vendored .tflite files, and compares the two per pixel.
#
# usage: scripts/mediapipe-parity/run.sh SHARPSEG_CLI OUT_DIR IMAGE.png...
# needs: npm (to fetch the package once), chromium, python3 with numpy and PIL (Debian: python3-numpy python3-pil).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; repo="$(cd "$here/../.." && pwd)"
cli="$1"; out="$2"; shift 2
mkdir -p "$out/web"; out="$(cd "$out" && pwd)"
if [ ! -f "$out/web/selfie_segmentation.js" ]; then
  (cd "$out" && npm pack @mediapipe/selfie_segmentation@0.1.1675465747 >/dev/null && tar xzf mediapipe-selfie_segmentation-0.1.1675465747.tgz && cp package/* web/)
fi
cp "$here/page.html" "$out/web/"
names=()
for img in "$@"; do b="$(basename "${img%.*}")"; /usr/bin/python3 -c "import sys; from PIL import Image; Image.open(sys.argv[1]).convert('RGB').save(sys.argv[2])" "$img" "$out/web/$b.png"; names+=("$b"); done
port=8765
(cd "$out/web" && exec /usr/bin/python3 -m http.server $port >/dev/null 2>&1) & server=$!
trap 'kill $server' EXIT
sleep 1
models=("$repo/src/SharpSeg/Portrait/Models/selfie_segmentation.tflite" "$repo/src/SharpSeg/Portrait/Models/selfie_segmentation_landscape.tflite")
for m in 0 1; do
  mkdir -p "$out/mediapipe$m" "$out/ours$m"
  for b in "${names[@]}"; do
    # --virtual-time-budget lets the page's promises run before the DOM is dumped; a slow start can still miss it, so retry.
    for try in 1 2 3 4 5; do
      timeout 300 chromium --headless=new --no-sandbox --use-angle=swiftshader --enable-unsafe-swiftshader --ignore-gpu-blocklist \
        --virtual-time-budget=600000 --dump-dom "http://localhost:$port/page.html?images=$b.png&model=$m" 2>/dev/null > "$out/dom.txt" || true
      grep -q RESULT "$out/dom.txt" && break
    done
    /usr/bin/python3 "$here/decode.py" "$out/dom.txt" "$out/mediapipe$m"
    "$cli" predict --model "${models[$m]}" --input "$out/web/$b.png" --out "$out/ours$m" --probabilities >/dev/null
  done
done
/usr/bin/python3 "$here/compare.py" "$out"
