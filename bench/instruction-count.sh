#!/usr/bin/env bash
# Counts the user-space instructions a client sidecar runs per proxied request, with valgrind's callgrind: a figure
# the VM's noise does not touch, so a change on the request path can be measured on a shared two-core machine where
# wall-clock runs cannot tell a few percent apart (README, Performance).
#
# The NativeAOT sidecar (127.0.0.81) runs under callgrind in front of the echo backend, with bench/compare.sh's echo
# routing (`loadgen compare-routes`) over plaintext; after a warm-up, counting covers SECONDS of fixed-rate load and
# the totals are divided by the requests sent. Also printed: the gen0 collections in the window.
#   bash bench/instruction-count.sh [SECONDS] [RATE]     (default 60 s at 250 requests/s; needs valgrind, binutils, curl)
# Runtime settings can be tried without a rebuild through the environment, e.g. DOTNET_GCgen0size=200000 (hex).
set -euo pipefail
seconds="${1:-60}"
rate="${2:-250}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for tool in valgrind callgrind_control callgrind_annotate objcopy curl; do
  command -v "$tool" >/dev/null || { echo "instruction-count: needs $tool (apt-get install valgrind binutils curl)" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/instruction-count.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> publishing the sidecar (NativeAOT) and building the echo backend and the load generator" >&2
dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 -o "$work/sidecar" -v quiet -nologo >&2
dotnet build bench/Sidecar.Bookinfo/Sidecar.Bookinfo.csproj -c Release -o "$work/bookinfo" -v quiet -nologo >&2
dotnet build bench/Sidecar.LoadHarness/Sidecar.LoadHarness.csproj -c Release -o "$work/loadgen" -v quiet -nologo >&2

# valgrind cannot read the DWARF NativeAOT writes: point the executable at a copy of its symbols without it.
sidecar="$work/sidecar/Sidecar"
objcopy --strip-debug "$sidecar.dbg" "$sidecar.symbols"
objcopy --remove-section=.gnu_debuglink --add-gnu-debuglink="$sidecar.symbols" "$sidecar"

mkdir -p "$work/config"
cat > "$work/config/mesh.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints:
  - address: 127.0.0.1
    ports: {http: 18099}
    labels: {app: echo, version: v1}
---
YAML
dotnet "$work/loadgen/loadgen.dll" compare-routes --per-try-timeout 30s --timeout 60s >> "$work/config/mesh.yaml"

"$work/bookinfo/bookinfo" --role echo --listen http://127.0.0.1:18099 --payload-bytes 1024 > "$work/echo.log" 2>&1 &
pids+=($!)
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out" \
  "$sidecar" run --config "$work/config" --bind 127.0.0.81 --labels app=loadgen,version=v1 --service-account loadgen \
  --log-level warning > "$work/sidecar.log" 2>&1 &
recorder=$!
pids+=("$recorder")
for i in $(seq 1 240); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.81:15021/healthz/ready || true)" = 200 ] && break
  [ "$i" = 240 ] && { echo "instruction-count: the sidecar did not become ready" >&2; cat "$work/sidecar.log" >&2; exit 1; }
  sleep 0.5
done

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
