#!/usr/bin/env bash
# Train the base model and the built-in styles from ../shared/data (never committed) into resources/.
# Exact recipe: the base model on every artwork folder at once, then each style fine-tuned from it
# (as a user's new style is). Held-out photos (bench/heldout_photos.txt) are never trained on.
# Re-running skips models whose file exists; a killed one resumes from its run folder.
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

# One recipe for every style (issue 14): `atelier train`'s defaults, i.e. the loss network's feature
# statistics of the style's artworks + its perceptual content term + the adversarial, palette,
# structure and warp terms (engine/training/trainer.py). No per-painter knobs: skin colour keeping and
# holding are the defaults for all. The base model is the one trained before the loss network
# (SKIN=0 HOLD=0 in its recipe); it is only the starting point.
train() {  # name slug budget base art...   (budget: "20m" = minutes, "2000" = steps; CW=content weight)
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
    # shellcheck disable=SC2086  # EXTRA is a list of options, split on purpose
    $PY -m engine train --art "$@" "${common[@]}" "${args[@]}" --base "$base" --content-weight "${CW:-1}" \
      --skin-colour-keep "${SKIN:-0.8}" --skin-colour-hold "${HOLD:-4}" ${EXTRA:-}
  fi
}

# Base model (issue 3): every artwork folder at once, from the identity generator. The shipped one was
# trained before the loss network existed, with the random-feature texture terms (its file and
# RECIPES.md record that config; this script's git history has the command); this line only retrains it
# when the file is removed. New styles, the built-ins below included, start from it.
# Step budgets (not minutes) so that a busy machine slows training down without making it worse.
SKIN=0 HOLD=0 train "Base" base 3000 none "$DATA"/styles/*/
# Van Gogh, Ukiyo-e, Monet and Cezanne were trained before the range charge (`w_range`, stop 36) and were
# not retrained with it: they hardly need it (0.01-0.06 % of their held-out values lie past 1.3, where the
# output passes no gradient any more); these lines add it when a file is removed.
# All six were trained before each detected face's ellipse entered the generator's map (stop 36, which
# training now sees too); retrained with it (stop 37, same seeds) they read as their painter no better
# (mean 66 -> 61 %, README), so the files stay as they were.
train "Van Gogh" van_gogh 1200 "$BASE" "$DATA/styles/van_gogh"
train "Ukiyo-e" ukiyo_e 1200 "$BASE" "$DATA/styles/ukiyo_e"
train "Monet" monet 1200 "$BASE" "$DATA/styles/monet"
# The two one-painting styles: Munch's The Scream and Turner's The Shipwreck of the Minotaur.
# (Kandinsky's Composition VII was one until issue 3's last stop: under content preservation it read as
# a warm grade, not as Kandinsky.)
train "Munch" munch 1200 "$BASE" "$DATA/styles/munch"
# Turner is seed 1 of today's default (stop 36, with the range charge, `w_range`): seed 0 read as Turner
# less often (44 against 61 % by the VGG16 judge, 28 against 56 % by the EfficientNet one) at more content
# (SSIM 0.60 against 0.56); neither has the black blotches of the file before (stop 33, seed 0), whose
# dark regions had been driven past black where no gradient could bring them back. A better run, kept by
# the quality bench, not a better setting.
EXTRA="--seed 1" train "Turner" turner 1200 "$BASE" "$DATA/styles/turner"
# Cezanne doubles as the check of a new style from a few artworks: 5 artworks, the base model,
# a 20-minute budget, exactly what `atelier train --art cezanne --photos ... --minutes 20` does.
train "Cézanne" cezanne 20m "$BASE" "$DATA/styles/cezanne"

# The gallery cards (a line about the painter and one of their works) and the optional brushstrokes are
# metadata of the style files; a retrained file carries the trainer's generic "Learned from N artworks
# in <folder>." and default strokes instead, which is how the built-ins lost their cards in stop 22 and
# their strokes in stop 25. Both written again after every run (weights unchanged).
$PY scripts/set_style_cards.py
$PY scripts/set_style_brushes.py
