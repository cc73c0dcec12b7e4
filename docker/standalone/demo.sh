#!/usr/bin/env bash
# The standalone demo: bookinfo's workloads on this machine with one sidecar in front of them, configured by the
# Istio YAML in ./config (or the directory SIDECAR_CONFIG names, e.g. ./kubernetes: the same services as Kubernetes
# Services and pods, reviews routed by a Gateway API HTTPRoute). Builds everything, starts the workloads and the sidecar, shows weighted routing, header
# routing and fault injection through the sidecar, then keeps running until Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bind="${SIDECAR_BIND:-127.0.0.10}"
config="$(cd "${SIDECAR_CONFIG:-$here/config}" && pwd)"
out="$root/artifacts/demo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

command -v dotnet >/dev/null || { echo "the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is required (apt-get install curl)" >&2; exit 1; }

echo "==> building the sidecar and the bookinfo workloads"
dotnet build "$root/src/Sidecar/Sidecar.csproj" -c Release -o "$out/sidecar" -v quiet -nologo
dotnet build "$root/bench/Sidecar.Bookinfo/Sidecar.Bookinfo.csproj" -c Release -o "$out/bookinfo" -v quiet -nologo

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "==> stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

workload() { # role version port
  dotnet "$out/bookinfo/bookinfo.dll" --role "$1" --version "$2" --listen "http://127.0.0.1:$3" \
    --upstream "http://$bind:15001" >"$out/$1-$2.log" 2>&1 &
  pids+=($!)
}

echo "==> starting bookinfo: ratings, reviews v1/v2/v3, details (logs in $out)"
workload ratings v1 19081
workload reviews v1 19082
workload reviews v2 19083
workload reviews v3 19084
workload details v1 19085

echo "==> starting the sidecar on $bind (outbound 15001, admin 15000, health 15021)"
dotnet "$out/sidecar/Sidecar.dll" run --config "$config" --bind "$bind" >"$out/sidecar.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -sf "http://$bind:15021/healthz/ready" >/dev/null && curl -sf http://127.0.0.1:19084/health >/dev/null; then break; fi
  sleep 0.2
done
curl -sf "http://$bind:15021/healthz/ready" >/dev/null || { echo "the sidecar did not become ready; see $out/sidecar.log" >&2; exit 1; }

through_sidecar() { curl -s -H "Host: $1" "${@:3}" "http://$bind:15001$2"; }

echo
echo "==> weighted routing: 50 requests to reviews (80% v1, 20% v3)"
for _ in $(seq 1 50); do
  through_sidecar reviews:9080 /reviews/0 -D - -o /dev/null | tr -d '\r' | awk -F': ' 'tolower($1)=="x-bookinfo-workload"{print $2}'
done | sort | uniq -c

echo
echo "==> header routing: end-user: jason always reaches reviews v2"
for _ in $(seq 1 5); do
  through_sidecar reviews:9080 /reviews/0 -H 'end-user: jason' -D - -o /dev/null | tr -d '\r' | awk -F': ' 'tolower($1)=="x-bookinfo-workload"{print $2}'
done | sort | uniq -c

echo
echo "==> fault injection: ratings aborts jason's requests with 500 (response flag FI)"
answer=$(through_sidecar ratings:9080 /ratings/0 -H 'end-user: jason' -D - -o /dev/null | tr -d '\r')
echo "   GET ratings as jason -> $(echo "$answer" | head -1 | cut -d' ' -f2) (response flags: $(echo "$answer" | awk -F': ' 'tolower($1)=="x-envoy-response-flags"{print $2}'))"
echo "   reviews v2 (which calls ratings through the sidecar) for jason:"
echo "   $(through_sidecar reviews:9080 /reviews/0 -H 'end-user: jason')"

echo
echo "==> fault injection: a 0.5 s delay on 10% of everyone else's ratings requests (flag DI)"
delayed=0
for _ in $(seq 1 40); do
  flags=$(through_sidecar ratings:9080 /ratings/0 -D - -o /dev/null | tr -d '\r' | awk -F': ' 'tolower($1)=="x-envoy-response-flags"{print $2}')
  [ "$flags" = "DI" ] && delayed=$((delayed + 1))
done
echo "   $delayed of 40 requests were delayed"

cat <<MSG

The sidecar keeps running. Try:
  curl -H 'Host: reviews:9080' http://$bind:15001/reviews/0
  curl -x http://$bind:15001 http://reviews:9080/reviews/0 -H 'end-user: jason'
  curl http://$bind:15000/config_dump        (the config being served, in Envoy's shape)
  curl http://$bind:15000/clusters           (endpoints, health, counters)
  curl http://$bind:15090/stats/prometheus   (Istio standard metrics)
Edit $config/*.yaml and the sidecar reloads within a second or two.
Press Ctrl-C to stop.
MSG
wait
