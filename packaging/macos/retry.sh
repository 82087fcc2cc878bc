# Sourced by the macOS scripts: retry N COMMAND... runs COMMAND up to N times, waiting longer each time.
# Why: `hdiutil create/attach/detach` fail at random on GitHub's macOS runners ("Resource busy",
# "no mountable file systems") and succeed when simply run again a few seconds later.
retry() {
  local tries=$1 n=1
  shift
  until "$@"; do
    if [ "$n" -ge "$tries" ]; then echo "giving up after $n tries: $*" >&2; return 1; fi
    echo "failed (try $n of $tries), again in $((n * 10))s: $*" >&2
    sleep $((n * 10))
    n=$((n + 1))
  done
}
