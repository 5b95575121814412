#!/usr/bin/env bash
# The CamVid demo video (real-time and video issue): CamVid's 101 val frames, consecutive frames of sequence 0016E5 at
# 15 frames/s, made into a video and segmented by a trained model, class colours over the frames.
#
# Usage: scripts/camvid-demo-video.sh MODEL OUT.mp4 [SHARPSEG]
#   MODEL     a checkpoint (.ckpt) or an exported model (.onnx) trained on CamVid
#   SHARPSEG  the command to run (default: sharpseg; e.g. "dotnet run --project src/SharpSeg.Cli -c Release --")
#   CAMVID    environment variable: the dataset folder (default: ../shared/datasets/camvid beside the repository)
# Extra arguments for `sharpseg video` go in VIDEO_ARGS (e.g. VIDEO_ARGS="--smooth 0.5 --render color").
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 MODEL OUT.mp4 [SHARPSEG]" >&2; exit 2; }
model=$1 out=$2 cli=${3:-sharpseg}
data=${CAMVID:-$(cd "$(dirname "$0")/../.." && pwd)/shared/datasets/camvid}
[[ -d $data/val/images ]] || { echo "$data/val/images: CamVid not found; set CAMVID to the dataset folder" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "ffmpeg not found: apt-get install ffmpeg" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ffmpeg -v error -framerate 15 -pattern_type glob -i "$data/val/images/0016E5_*.png" -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p "$tmp/camvid-val.mp4"
flag=--checkpoint; [[ $model == *.onnx ]] && flag=--model
# shellcheck disable=SC2086
$cli video $flag "$model" --input "$tmp/camvid-val.mp4" --out "$out" --render overlay ${VIDEO_ARGS:-}
