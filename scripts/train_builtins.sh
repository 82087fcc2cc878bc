#!/usr/bin/env bash
# Train the built-in styles from ../shared/data (never committed) into resources/styles/.
# Exact recipe: a base model on every artwork folder, then each style fine-tuned from it with a time
# budget. Held-out photos (bench/heldout_photos.txt) are never trained on. Re-running skips styles
# whose file exists; a killed style resumes from its run folder.
# Usage: scripts/train_builtins.sh [RUNS_DIR]   (python from $PYTHON, default python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
DATA=${ATELIER_DATA:-../shared/data}
RUNS=${1:-runs}
OUT=resources/styles
BASE=resources/base/base.atelier-style
mkdir -p "$OUT" resources/base "$RUNS"
common=(--photos "$DATA/photos" --exclude-photos bench/heldout_photos.txt --device auto --author "Atelier")

train() {  # name slug minutes base art...
  local name=$1 slug=$2 minutes=$3 base=$4; shift 4
  local out=$OUT/$slug.atelier-style run=$RUNS/$slug
  [ "$slug" = base ] && out=$BASE
  if [ -f "$out" ]; then echo "== $name: done already ($out)"; return; fi
  local args=(--name "$name" --minutes "$minutes" --output "$out" --run-dir "$run" --history "$run/history.json")
  if [ -f "$run/checkpoint.pt" ]; then
    echo "== $name: resuming"; $PY -m engine train --resume "$run" --output "$out" --history "$run/history.json"
  else
    echo "== $name: $minutes min from base $base"
    $PY -m engine train --art "$@" "${common[@]}" "${args[@]}" --base "$base"
  fi
}

train "Base" base 10 none "$DATA"/styles/*/
train "Van Gogh" van_gogh 12 "$BASE" "$DATA/styles/van_gogh"
train "Ukiyo-e" ukiyo_e 12 "$BASE" "$DATA/styles/ukiyo_e"
train "Monet" monet 12 "$BASE" "$DATA/styles/monet"
train "Munch" munch 10 "$BASE" "$DATA/styles/munch"
train "Kandinsky" kandinsky 10 "$BASE" "$DATA/styles/kandinsky"
# Cezanne doubles as the acceptance check of issue 3: 5 artworks, --minutes 20 on the CPU.
train "Cézanne" cezanne 20 "$BASE" "$DATA/styles/cezanne"
