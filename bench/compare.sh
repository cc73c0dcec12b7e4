#!/usr/bin/env bash
# The standard comparison on this machine (Istio's benchmark method): fixed-rate load (1000 requests/s, 1 kB
# responses, 16 connections) directly to an echo backend, through a client-side sidecar, a server-side sidecar and
# both; each sidecar's CPU (vCPU) and peak RSS; then saturation throughput of the sidecar against a bare YARP
# forwarder and a one-thread HAProxy on the same backend. Everything is published with NativeAOT first.
# Extra arguments go to `loadgen compare` (e.g. --duration 60s --connections 64 --http 2).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/bench"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "==> publishing the sidecar, the echo backend and the bare YARP baseline (NativeAOT)" >&2
dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 -o "$out/sidecar" -v quiet -nologo >&2
dotnet publish bench/Sidecar.Bookinfo/Sidecar.Bookinfo.csproj -c Release -r linux-x64 -o "$out/bookinfo" -v quiet -nologo >&2
dotnet publish bench/Sidecar.Baseline/Sidecar.Baseline.csproj -c Release -r linux-x64 -o "$out/bare-yarp" -v quiet -nologo >&2
dotnet build bench/Sidecar.LoadHarness/Sidecar.LoadHarness.csproj -c Release -o "$out/loadgen" -v quiet -nologo >&2

haproxy=()
if command -v haproxy >/dev/null 2>&1; then haproxy=(--haproxy "$(command -v haproxy)"); fi

exec dotnet "$out/loadgen/loadgen.dll" compare \
  --sidecar "$out/sidecar/Sidecar" \
  --backend "$out/bookinfo/bookinfo" \
  --bare-yarp "$out/bare-yarp/bare-yarp" \
  "${haproxy[@]}" --saturate "$@"
