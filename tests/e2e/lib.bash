# lib.bash - sourced by the e2e scripts: . "$(dirname "$0")/lib.bash" PREFIX (not named *.sh,
# which test_e2e runs). The repository root as working directory, $BUILD and $WM_SHARED, a work
# directory $W (/tmp/PREFIX.XXXXXX, removed at exit unless KEEP is set), background processes in
# pids killed at exit, cmocka-style checks and the closing totals (summary, whose status is the
# script's).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export WM_SHARED=${WM_SHARED:-$(cd .. && pwd)/shared}
W=$(mktemp -d "/tmp/${1:-wm_e2e}.XXXXXX")
pass=0; fail=0
ok()   { pass=$((pass + 1)); echo "[       OK ] $1"; }
bad()  { fail=$((fail + 1)); echo "[  FAILED  ] $1${2:+: $2}"; }
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"; }
trap cleanup EXIT
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
summary() {
  echo "[==========] $((pass + fail)) test(s) run."
  echo "[  PASSED  ] $pass test(s)."
  [ "$fail" -gt 0 ] && echo "[  FAILED  ] $fail test(s)."
  [ "$fail" -eq 0 ]
}
