#!/usr/bin/env bash
# Instructions per call of every variant, counted by callgrind: stable on a noisy machine.
#
#   tests/bench/callgrind.sh [VARIANT...]     (default: every variant)
#
# Each variant and mode runs N and 2N calls (after the same warm-up) under
# `valgrind --tool=callgrind`; (I(2N) - I(N)) / N is the cost of one call, with start-up and
# warm-up cancelled out. Per layer: (call - the variant's plain baseline) / layers.
# N: CALLGRIND_N (unary, default 2000) and CALLGRIND_STREAM_N (streamed calls of 1000
# messages, default 20). The outputs stay in target/callgrind/ for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
N_UNARY=${CALLGRIND_N:-2000}
N_STREAM=${CALLGRIND_STREAM_N:-20}
OUT=target/callgrind
mkdir -p "$OUT"

cargo build --profile bench-callgrind --quiet -p grpc-interceptor-bench --bin calls
BIN=target/bench-callgrind/calls

mapfile -t ALL < <("$BIN" list | awk '$1 != "modes:" { print $1 }')
VARIANTS=("$@")
[ ${#VARIANTS[@]} -gt 0 ] || VARIANTS=("${ALL[@]}")
MODES=(unary server_stream client_stream)

# Instructions of one run: the `totals:` line of the callgrind output.
instructions() { # variant mode n
  local file="$OUT/$1.$2.$3.out"
  valgrind --tool=callgrind --callgrind-out-file="$file" "$BIN" run "$1" "$2" "$3" \
    >/dev/null 2>&1
  awk '/^totals:/ { print $2 }' "$file"
}

declare -A PER_CALL
measure() { # variant mode
  local n=$N_UNARY
  [ "$2" = unary ] || n=$N_STREAM
  [ -n "${PER_CALL[$1.$2]:-}" ] && return
  local i1 i2
  i1=$(instructions "$1" "$2" "$n")
  i2=$(instructions "$1" "$2" $((2 * n)))
  PER_CALL[$1.$2]=$(((i2 - i1) / n))
}

baseline() {
  case "$1" in
    client_*) echo client_plain ;;
    plain_body | tonic_middleware*) echo plain_body ;;
    *) echo plain ;;
  esac
}
layers() {
  case "$1" in
    plain | plain_body | client_plain | intercepted_0) echo 0 ;;
    *_5 | *_5_async) echo 5 ;;
    *) echo 1 ;;
  esac
}

printf '| variant | mode | instructions/call | per message | vs baseline | added/layer |\n'
printf '|---|---|---:|---:|---:|---:|\n'
for v in "${VARIANTS[@]}"; do
  for m in "${MODES[@]}"; do
    b=$(baseline "$v")
    measure "$b" "$m"
    measure "$v" "$m"
    call=${PER_CALL[$v.$m]}
    base=${PER_CALL[$b.$m]}
    msgs=1
    [ "$m" = unary ] || msgs=1000
    l=$(layers "$v")
    awk -v v="$v" -v m="$m" -v c="$call" -v b="$base" -v n="$msgs" -v l="$l" 'BEGIN {
      added = c - b
      per_layer = (l > 0) ? sprintf("%+.0f", added / l / n) : ""
      if (n > 1 && l > 0) per_layer = sprintf("%+.2f", added / l / n)
      printf "| %s | %s | %d | %s | %+.2f%% (%+d) | %s |\n", v, m, c,
        (n > 1) ? sprintf("%.1f", c / n) : "", 100 * added / b, added, per_layer
    }'
  done
done
echo
echo "added/layer: per call (unary) or per message (streams); outputs in $OUT/"
