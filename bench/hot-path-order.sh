#!/usr/bin/env bash
# Records which managed methods a sidecar runs once it is ready and writes them, hottest first, to
# src/Sidecar/hot-path.order: the NativeAOT build lays its code out in that order (IlcOrderFile), so the code a
# proxied request runs sits in a few hundred contiguous pages instead of being spread over the whole 10 MB of
# managed code, and the kernel's 64 kB fault-around maps in little else (README, Performance).
#
# Two sidecars (client 127.0.0.81, server 127.0.0.82, local CA) run under valgrind's callgrind in front of the echo
# backend; counting starts once both are ready and covers what a sidecar does from then on: HTTP/1.1 over Istio
# mTLS (auto mTLS) and in plaintext, HTTP/2, a fault-injected route, Prometheus scrapes and readiness probes on both.
# The echo DestinationRule and VirtualService come from bench/compare.sh's own (`loadgen compare-routes`, which prints
# ComparisonMesh.EchoRoutes), so the layout covers the routing the comparison measures.
# Run it after a change to the hot path and commit the file it writes; a name the code no longer has is skipped by
# the compiler, so a stale file costs locality, never correctness.
#   bash bench/hot-path-order.sh            (needs valgrind, readelf and objcopy: apt-get install valgrind binutils)
set -euo pipefail
script=hot-path-order
tools=(readelf nm)
source "$(dirname "${BASH_SOURCE[0]}")/callgrind-setup.sh"

mkdir -p "$work/config" "$work/ca" "$work/profiles"
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
  - address: 127.0.0.82
    serviceAccount: echo
    labels: {app: echo, version: v1, security.istio.io/tlsMode: istio}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo-plain, namespace: default}
spec:
  hosts: [echo-plain.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints:
  - address: 127.0.0.82
    labels: {app: echo, version: v1}
---
YAML
# The comparison's echo routing (ComparisonMesh.EchoRoutes), with timeouts long enough for a handshake under callgrind.
dotnet "$work/loadgen/loadgen.dll" compare-routes --per-try-timeout 30s --timeout 60s >> "$work/config/mesh.yaml"
cat >> "$work/config/mesh.yaml" <<'YAML'
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: echo, namespace: default}
spec:
  workloadSelector: {labels: {app: echo}}
  ingress:
  - port: {number: 8080, protocol: HTTP, name: http}
    bind: 127.0.0.82
    defaultEndpoint: 127.0.0.1:18099
YAML

"$work/bookinfo/bookinfo" --role echo --listen http://127.0.0.1:18099 --payload-bytes 1024 > "$work/echo.log" 2>&1 &
pids+=($!)

start_recorded() { # name bind labels service-account
  valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$work/profiles/$1.%p" \
    "$sidecar" run --config "$work/config" --bind "$2" --labels "$3" --service-account "$4" --ca-dir "$work/ca" \
    --log-level warning > "$work/$1.log" 2>&1 &
  pids+=($!)
}
start_recorded server 127.0.0.82 app=echo,version=v1 echo
start_recorded client 127.0.0.81 app=loadgen,version=v1 loadgen
wait_ready 127.0.0.81 127.0.0.82

load() { # seconds rate connections host [loadgen options...]
  local seconds=$1 rate=$2 connections=$3 host=$4
  shift 4
  dotnet "$work/loadgen/loadgen.dll" run --url "http://127.0.0.81:15001/?size=1024" -H "Host: $host" \
    --rate "$rate" --duration "${seconds}s" --warmup 1s -c "$connections" "$@" | grep -E '^requests' >&2
}
scrape() {
  for bind in 127.0.0.81 127.0.0.82; do
    curl -sf -o /dev/null "http://$bind:15090/stats/prometheus"
    curl -sf -o /dev/null "http://$bind:15020/stats/prometheus"
    curl -sf -o /dev/null "http://$bind:15021/healthz/ready"
  done
}

# Counting starts once both are ready, after the config push has dropped start-up's pages: what runs from here on
# stays resident, the first TLS handshakes and the first scrape included, so all of it is laid out together (the
# hottest first). Timeouts are long in this config because a handshake under callgrind takes seconds.
echo "==> counting" >&2
recorders=$(pgrep -f "callgrind-out-file=$work/profiles/")
for pid in $recorders; do callgrind_control -i on "$pid" >/dev/null 2>&1; done
for host in echo:8080 echo-plain:8080; do curl -sf -o /dev/null -H "Host: $host" "http://127.0.0.81:15001/?size=1024"; done
curl -sf -o /dev/null --http2-prior-knowledge -H "Host: echo:8080" "http://127.0.0.81:15001/?size=1024"
scrape
load 15 100 8 echo:8080
scrape
load 8 50 4 echo-plain:8080
load 6 30 2 echo:8080 --http 2
scrape
load 3 20 2 echo:8080 -H "end-user: jason"
for pid in $recorders; do callgrind_control -i off "$pid" >/dev/null 2>&1; callgrind_control -d "$pid" >/dev/null 2>&1; done

# Managed code is the __managedcode section; the runtime's own C++ is linked as is and cannot be reordered.
# Addresses compare as zero-padded hex strings (Debian's awk has no hex arithmetic).
read -r code_start code_size < <(readelf -SW "$sidecar" | awk '{ for (i = 1; i < NF; i++) if ($i == "__managedcode") print $(i + 2), $(i + 4) }')
code_end=$(printf '%016x' $((16#$code_start + 16#$code_size)))
code_start=$(printf '%016x' $((16#$code_start)))
nm --defined-only "$symbols" | awk -v start="$code_start" -v end="$code_end" \
  '{ a = $1 "" } length(a) == 16 && a >= start "" && a < end "" { print $3 }' > "$work/managed.txt"

out=src/Sidecar/hot-path.order
{
  echo "# Managed methods a sidecar runs once it is ready, hottest first (instructions counted by callgrind):"
  echo "# the NativeAOT build places them first (IlcOrderFile). Written by bench/hot-path-order.sh; lines the"
  echo "# compiler does not know (these comments, renamed methods) are skipped."
  for profile in "$work"/profiles/*; do [ -s "$profile" ] && callgrind_annotate --threshold=100 "$profile"; done |
    awk '/^ *[0-9,]+ +\( *[0-9.]+%\) / {
           ir = $1; gsub(",", "", ir)
           line = $0; sub(/^[^)]*\) +/, "", line); split(line, parts, " ")
           name = parts[1]; sub(/^[^:]*:/, "", name); sub(/'"'"'[0-9]+$/, "", name)
           total[name] += ir
         }
         END { for (name in total) printf "%.0f %s\n", total[name], name }' |
    sort -k1,1nr -k2 | awk 'NR == FNR { managed[$1] = 1; next } ($2 in managed) && !seen[$2]++ { print $2 }' "$work/managed.txt" -
} > "$out"
echo "==> $(($(wc -l < "$out") - 3)) methods written to $out" >&2
