#!/usr/bin/env bash
# The captured path on one machine: two pods (network namespaces on a bridge), an echo server and an iperf3 server
# in one, the load generator and iperf3 client in the other. First direct (no capture), then with the init program's
# iptables rules in both pods and a sidecar in each (as uid 1337), as an injected mesh runs: the application dials
# the other pod's IP and knows nothing of the sidecars. Prints fixed-rate latency (p50/p90/p99/p99.9) and TCP
# throughput for both. Needs root, iproute2, iptables; installs iperf3 when missing.
# Usage: bash bench/capture.sh [--rate 1000] [--duration 20s] [--connections 16]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/bench"
rate=1000 duration=20s connections=16
while (($#)); do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "capture.sh needs root (network namespaces, iptables)" >&2; exit 1; }
command -v iperf3 >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null; }
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "==> publishing the sidecar, the init program and the echo backend (NativeAOT)" >&2
dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 -o "$out/sidecar" -v quiet -nologo >&2
dotnet publish init/Sidecar.Init/Sidecar.Init.csproj -c Release -r linux-x64 -o "$out/init" -v quiet -nologo >&2
dotnet publish bench/Sidecar.Bookinfo/Sidecar.Bookinfo.csproj -c Release -r linux-x64 -o "$out/bookinfo" -v quiet -nologo >&2
dotnet build bench/Sidecar.LoadHarness/Sidecar.LoadHarness.csproj -c Release -o "$out/loadgen" -v quiet -nologo >&2

net=10.79.0 client=cap-client server=cap-server bridge=capbr0
work="$(mktemp -d)"
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$client" 2>/dev/null || true
  ip netns del "$server" 2>/dev/null || true
  ip link del "$bridge" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip link add "$bridge" type bridge && ip link set "$bridge" up && ip addr add "$net.254/24" dev "$bridge"
i=0
for ns in "$client" "$server"; do
  i=$((i + 1))
  ip netns add "$ns"
  ip link add "capveth$i" type veth peer name eth0 netns "$ns"
  ip link set "capveth$i" master "$bridge" up
  ip netns exec "$ns" ip addr add "$net.$i/24" dev eth0
  ip netns exec "$ns" ip link set eth0 up
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip route add default via "$net.254"
done
client_ip="$net.1" server_ip="$net.2"

cat > "$work/mesh.yaml" <<YAML
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo}
spec:
  hosts: [echo.default.svc.cluster.local]
  addresses: [$server_ip]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 8080, name: http, protocol: HTTP}
  - {number: 5201, name: tcp-iperf, protocol: TCP}
  endpoints:
  - {address: $server_ip, labels: {app: echo, version: v1}}
YAML

ip netns exec "$server" "$out/bookinfo/bookinfo" --role echo --listen "http://0.0.0.0:8080" --payload-bytes 1024 >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$server" iperf3 -s -p 5201 >/dev/null 2>&1 &
pids+=($!)

wait_http() { # ns url
  for _ in $(seq 300); do
    ip netns exec "$1" curl -sf -o /dev/null "$2" && return 0
    sleep 0.1
  done
  echo "no answer from $2 in $1" >&2; return 1
}
wait_http "$client" "http://$server_ip:8080/health"

measure() { # label
  echo "==> $1: $rate requests/s for $duration, $connections connections" >&2
  ip netns exec "$client" dotnet "$out/loadgen/loadgen.dll" run --url "http://$server_ip:8080/" --rate "$rate" \
    --duration "$duration" --warmup 5s -c "$connections" --json "$work/$1.json" >&2
  ip netns exec "$client" iperf3 -c "$server_ip" -p 5201 -t 5 -J > "$work/$1-iperf.json"
}

measure direct

echo "==> installing capture (sidecar-init) and starting a sidecar in each pod as uid 1337" >&2
for ns in "$client" "$server"; do
  ip netns exec "$ns" "$out/init/sidecar-init" -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020 >/dev/null
done
start_sidecar() { # ns ip app
  ip netns exec "$1" setpriv --reuid 1337 --regid 1337 --clear-groups "$out/sidecar/Sidecar" run --config "$work" \
    --bind 0.0.0.0 --instance-ip "$2" --pod-name "$3" --labels "app=$3,version=v1" --log-level warning >"$work/$3.log" 2>&1 &
  pids+=($!)
}
start_sidecar "$client" "$client_ip" loadgen
start_sidecar "$server" "$server_ip" echo
wait_http "$client" "http://127.0.0.1:15021/healthz/ready"
wait_http "$server" "http://127.0.0.1:15021/healthz/ready"

measure captured

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
rows = []
for name in ("direct", "captured"):
    load = json.load(open(f"{work}/{name}.json"))
    iperf = json.load(open(f"{work}/{name}-iperf.json"))
    rows.append((name, load, iperf["end"]["sum_received"]["bits_per_second"] / 1e9))
ms = lambda load, key: load["latency"][key] / 1000
print()
print("| path | rate | p50 (ms) | p90 | p99 | p99.9 | errors | TCP throughput (Gbit/s) |")
print("|---|---|---|---|---|---|---|---|")
for name, load, gbits in rows:
    print(f"| {name} | {load['achievedRate']:.0f} | {ms(load, 'p50Us'):.3f} | {ms(load, 'p90Us'):.3f} | {ms(load, 'p99Us'):.3f} | {ms(load, 'p999Us'):.3f} | {load['errors']} | {gbits:.2f} |")
(_, direct, direct_tcp), (_, captured, captured_tcp) = rows
added = ", ".join(f"{label} {ms(captured, key) - ms(direct, key):+.3f} ms" for label, key in (("p50", "p50Us"), ("p90", "p90Us"), ("p99", "p99Us")))
print(f"\nadded by the captured path (client-side and server-side sidecar): {added}; TCP throughput {captured_tcp / direct_tcp:.2f}x of direct")
PY
