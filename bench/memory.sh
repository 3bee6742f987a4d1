#!/usr/bin/env bash
# Peak RSS of `wcmon rebuild` at 1x, 2x and 4x a corpus (the first N/4, N/2 and N counties
# of a corpus made by `wcmon generate --scale`). Usage: bench/memory.sh [CORPUS] [WCMON] [REBUILD OPTIONS...]
# e.g. bench/memory.sh /tmp/wcmon-corpus target/release/wcmon --parts-at-once 1
set -euo pipefail
corpus=${1:-/tmp/wcmon-corpus}
wcmon=${2:-$(dirname "$0")/../target/release/wcmon}
extra=("${@:3}")
mapfile -t counties < <(ls "$corpus/inbox" | sort)
n=${#counties[@]}
for share in 4 2 1; do
  k=$(( n / share ))
  inbox="$corpus/mem-$k"
  if [ ! -d "$inbox" ]; then
    mkdir -p "$inbox"
    for c in "${counties[@]:0:$k}"; do cp -r "$corpus/inbox/$c" "$inbox/"; done
  fi
  rm -rf "$corpus/mem-db"
  /usr/bin/time -v "$wcmon" --pipelines "$corpus/pipelines" rebuild --inbox "$inbox" --db "$corpus/mem-db" "${extra[@]}" > /dev/null 2> "$corpus/mem-$k.time" || true
  files=$(find "$inbox" -type f | wc -l)
  rss=$(grep "Maximum resident" "$corpus/mem-$k.time" | awk '{print $NF}')
  wall=$(grep "Elapsed (wall" "$corpus/mem-$k.time" | awk '{print $NF}')
  echo "counties=$k files=$files peak_rss_mb=$(( rss / 1024 )) wall=$wall"
done
