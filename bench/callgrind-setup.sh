# Sourced by the scripts that run the NativeAOT sidecar under valgrind's callgrind (bench/hot-path-order.sh,
# bench/instruction-count.sh): checks the tools, makes a work directory that is removed on exit with the processes
# listed in `pids`, publishes the sidecar and builds the echo backend and the load generator into it, and points the
# sidecar at a copy of its symbol table without the DWARF NativeAOT writes, which valgrind cannot read (the code is
# not touched, so what is counted is what is built).
# The sourcing script sets `script` (its name, for messages) and may add tools to `tools`; this sets `root`, `work`,
# `pids`, `sidecar` (the executable) and `symbols`, and defines `wait_ready BIND...`.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for tool in valgrind callgrind_control callgrind_annotate objcopy curl "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "$script: needs $tool (apt-get install valgrind binutils curl)" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/$script.XXXXXX")"
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

sidecar="$work/sidecar/Sidecar"
symbols="$work/sidecar/Sidecar.symbols"
objcopy --strip-debug "$sidecar.dbg" "$symbols"
objcopy --remove-section=.gnu_debuglink --add-gnu-debuglink="$symbols" "$sidecar"

# Waits (two minutes at most: a start under callgrind is slow) until every sidecar bound to the addresses given
# answers 200 on /healthz/ready; prints the sidecars' logs from $work/*.log and exits if one does not.
wait_ready() {
  local i bind ready
  for i in $(seq 1 240); do
    ready=yes
    for bind in "$@"; do
      [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$bind:15021/healthz/ready" || true)" = 200 ] || ready=no
    done
    [ "$ready" = yes ] && return 0
    sleep 0.5
  done
  echo "$script: the sidecars did not become ready" >&2
  cat "$work"/*.log >&2
  exit 1
}
