#!/usr/bin/env bash
# Counts the user-space instructions a client sidecar runs per proxied request, with valgrind's callgrind: a figure
# the VM's noise does not touch, so a change on the request path can be measured on a shared two-core machine where
# wall-clock runs cannot tell a few percent apart (README, Performance).
#
# The NativeAOT sidecar (127.0.0.81) runs under callgrind in front of the echo backend with the config of
# bench/compare.sh's client sidecar (`loadgen compare-client-config`: echo among 200 services, plaintext); after a
# warm-up, counting covers SECONDS of fixed-rate load and the totals are divided by the requests sent. Also printed:
# the gen0 collections in the window.
#   bash bench/instruction-count.sh [SECONDS] [RATE]     (default 60 s at 250 requests/s; needs valgrind, binutils, curl)
# Runtime settings can be tried without a rebuild through the environment, e.g. DOTNET_GCgen0size=200000 (hex).
set -euo pipefail
seconds="${1:-60}"
rate="${2:-250}"
script=instruction-count
tools=()
source "$(dirname "${BASH_SOURCE[0]}")/callgrind-setup.sh"

# Timeouts long enough for callgrind's pace.
dotnet "$work/loadgen/loadgen.dll" compare-client-config --dir "$work/config" --endpoint 127.0.0.1:18099 \
  --per-try-timeout 30s --timeout 60s >&2

"$work/bookinfo/bookinfo" --role echo --listen http://127.0.0.1:18099 --payload-bytes 1024 > "$work/echo.log" 2>&1 &
pids+=($!)
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out" \
  "$sidecar" run --config "$work/config" --bind 127.0.0.81 --labels app=loadgen,version=v1 --service-account loadgen \
  --log-level warning > "$work/client.log" 2>&1 &
recorder=$!
pids+=("$recorder")
wait_ready 127.0.0.81

load() { # seconds
  dotnet "$work/loadgen/loadgen.dll" run --url "http://127.0.0.81:15001/?size=1024" -H "Host: echo:8080" \
    --rate "$rate" --duration "${1}s" --warmup 1s -c 4 | grep -E '^requests' >&2
}
echo "==> warming up" >&2
load 8
echo "==> counting ${seconds} s at ${rate} requests/s" >&2
callgrind_control -i on "$recorder" >/dev/null
load "$seconds"
callgrind_control -i off "$recorder" >/dev/null
callgrind_control -d "$recorder" >/dev/null

# The load generator's own 1 s warm-up is inside the counted window too.
requests=$(( rate * (seconds + 1) ))
profiles=("$work"/callgrind.out.*)
profile="${profiles[0]}"
total=$(callgrind_annotate --threshold=100 "$profile" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
collections=$(callgrind_annotate --tree=caller --threshold=100 "$profile" |
  awk '!found && /< .*gc_heap::garbage_collect\(int\) \(/ { found = 1; match($0, /\(([0-9,]+)x\)/); n = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", n); print n }')
echo "instructions: ${total} over ${requests} requests: $(( total / requests )) per request; gen0 collections: ${collections:-0}"
