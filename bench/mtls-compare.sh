#!/bin/bash
# Two sidecars (client 127.0.0.71, server 127.0.0.72) in front of the echo backend, with or without Istio mTLS
# (auto mTLS + STRICT, local CA), driven by loadgen at 1000 requests/s for 10 s.
#   bench/mtls-compare.sh plain|mtls        (SIDECAR=path/to/native/Sidecar to use a NativeAOT build;
#                                            H2=1 PROTO=HTTP2 ECHO_FLAGS=--h2c for a quick HTTP/2 check instead)
# Needs: dotnet build -c Release of src/Sidecar, bench/Sidecar.Bookinfo and bench/Sidecar.LoadHarness.
set -u
mode=$1   # mtls | plain
root="$(cd "$(dirname "$0")/.." && pwd)"
sidecar="${SIDECAR:-dotnet $root/src/Sidecar/bin/Release/net10.0/Sidecar.dll}"
dir=${TMPDIR:-/tmp}/sidecar-mtls-compare/$mode; rm -rf $dir; mkdir -p $dir/cfg $dir/ca
label=""; pa="DISABLE"; ca=""
if [ "$mode" = mtls ]; then label=", security.istio.io/tlsMode: istio"; pa="STRICT"; ca="--ca-dir $dir/ca"; fi
cat > $dir/cfg/mesh.yaml <<YAML
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: ${PROTO:-HTTP}}]
  endpoints:
  - address: 127.0.0.72
    serviceAccount: server
    labels: {app: server$label}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: server, namespace: default}
spec:
  workloadSelector: {labels: {app: server} }
  ingress:
  - port: {number: 9080, protocol: ${PROTO:-HTTP}, name: http}
    bind: 127.0.0.72
    defaultEndpoint: 127.0.0.1:18090
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: server, namespace: default}
spec:
  selector: {matchLabels: {app: server} }
  mtls: {mode: $pa}
YAML
dotnet $root/bench/Sidecar.Bookinfo/bin/Release/net10.0/bookinfo.dll --role echo --listen http://127.0.0.1:18090 ${ECHO_FLAGS:-} > $dir/echo.log 2>&1 & echo_pid=$!
$sidecar run --config $dir/cfg --bind 127.0.0.72 --labels app=server --service-account server --log-level warning $ca > $dir/server.log 2>&1 & server_pid=$!
$sidecar run --config $dir/cfg --bind 127.0.0.71 --labels app=client --service-account client --log-level warning $ca > $dir/client.log 2>&1 & client_pid=$!
for i in $(seq 1 120); do
  a=$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.71:15021/healthz/ready); b=$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.72:15021/healthz/ready)
  [ "$a$b" = 200200 ] && break; sleep 0.5
done
curl -s -H 'Host: echo.default.svc.cluster.local:9080' -o /dev/null -w "probe %{http_code}\n" http://127.0.0.71:15001/
if [ -n "${H2:-}" ]; then
  for i in 1 2 3; do curl -s --http2-prior-knowledge -H 'Host: echo.default.svc.cluster.local:9080' -o /dev/null -w "h2 %{http_code} %{http_version}\n" http://127.0.0.71:15001/; done
  curl -s --http2-prior-knowledge -H 'Host: echo.default.svc.cluster.local:9080' http://127.0.0.71:15001/ | head -c 400; echo
  kill $client_pid $server_pid $echo_pid; wait 2>/dev/null; exit 0
fi
echo "loadgen run --url http://127.0.0.71:15001/ -H 'Host: echo.default.svc.cluster.local:9080' --rate 1000 --duration 10s --warmup 3s -c 16 ($mode)"
dotnet $root/bench/Sidecar.LoadHarness/bin/Release/net10.0/loadgen.dll run --url http://127.0.0.71:15001/ -H 'Host: echo.default.svc.cluster.local:9080' --rate 1000 --duration 10s --warmup 3s -c 16 --json $dir/report.json
kill $client_pid $server_pid $echo_pid; wait 2>/dev/null
