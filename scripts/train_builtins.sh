#!/usr/bin/env bash
# Train the built-in styles from ../shared/data (never committed) into resources/styles/.
# Exact recipe: each style trained with a time budget (optionally from a base model on every
# artwork folder: WITH_BASE=1). Held-out photos (bench/heldout_photos.txt) are never trained on. Re-running skips styles
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

train() {  # name slug budget base art...   (budget: "12m" = minutes, "1500" = steps; CW=content weight)
  local name=$1 slug=$2 budget=$3 base=$4; shift 4
  local out=$OUT/$slug.atelier-style run=$RUNS/$slug
  [ "$slug" = base ] && out=$BASE
  if [ -f "$out" ]; then echo "== $name: done already ($out)"; return; fi
  local args=(--name "$name" --output "$out" --run-dir "$run" --history "$run/history.json")
  if [[ $budget == *m ]]; then args+=(--minutes "${budget%m}"); else args+=(--steps "$budget"); fi
  if [ -f "$run/checkpoint.pt" ]; then
    echo "== $name: resuming"; $PY -m engine train --resume "$run" --output "$out" --history "$run/history.json"
  else
    echo "== $name: $budget from base $base"
    $PY -m engine train --art "$@" "${common[@]}" "${args[@]}" --base "$base" --content-weight "${CW:-1}"
  fi
}

# Base model (issue 3: every artwork folder at once; new styles fine-tune from it). Not trained in
# the first session: the CPU time went to the styles below, which start from the identity generator.
# Step budgets (not minutes) so that a busy machine slows training down without making it worse.
if [ "${WITH_BASE:-0}" = 1 ]; then train "Base" base 10m none "$DATA"/styles/*/; fi
train "Van Gogh" van_gogh 2000 none "$DATA/styles/van_gogh"
# Ukiyo-e's flat areas and wave patterns pulled faces apart at content weight 1 (SSIM 0.80): 3 here.
CW=3 train "Ukiyo-e" ukiyo_e 2000 none "$DATA/styles/ukiyo_e"
train "Monet" monet 2000 none "$DATA/styles/monet"
train "Munch" munch 1600 none "$DATA/styles/munch"
train "Kandinsky" kandinsky 1600 none "$DATA/styles/kandinsky"
# Cezanne doubles as the few-artwork check of issue 3: 5 artworks, a time budget, as a user would.
train "Cézanne" cezanne 10m none "$DATA/styles/cezanne"
