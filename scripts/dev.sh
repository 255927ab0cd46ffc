#!/usr/bin/env bash
# One entry point for a fresh machine (run as root, or with sudo available):
#   bash scripts/dev.sh setup   install Debian packages + .venv + jangkau (idempotent)
#   bash scripts/dev.sh run     setup, then run the main job (outputs in out/)
#   bash scripts/dev.sh test    setup, then lint, then build and run every test (C++ and Python)
#   bash scripts/dev.sh lint    ruff and mypy on the Python, clang-format and clang-tidy on the C++ (no setup: needs the .venv)
# Environment: JANGKAU_DATA (data directory), CI=true (warnings as errors), JOBS (build jobs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
JOBS="${JOBS:-$(nproc)}"
# Same names on Debian 12 (bookworm) and 13 (trixie); on 13, catch2 pulls in libcatch2-dev (3.x).
APT_PACKAGES=(build-essential cmake ninja-build pkg-config libgdal-dev gdal-bin libgeos-dev libproj-dev proj-data
              libboost-dev catch2 python3 python3-dev python3-venv)
APT_PACKAGES+=(clang-tidy)  # dev.sh lint: clang-tidy over engine/ and bindings/ (checks and reasons in .clang-tidy)
APT_PACKAGES+=(qgis qgis-providers python3-qgis)  # tests/python/test_qgis.py runs the QGIS plugin (qgis/) with qgis_process
APT_PACKAGES+=(libosmium2-dev libprotozero-dev zlib1g-dev libbz2-dev libexpat1-dev osmium-tool)  # windowed OSM reader (libosmium); osmium-tool is the peer in tests/benchmarks
APT_PACKAGES+=(chromium chromium-driver libjs-leaflet)  # report.html: inlined Leaflet, tested in headless Chromium


log() { printf '\033[1m[jangkau]\033[0m %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

setup_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

setup_python() {
  local py="${PYTHON:-python3}"
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment $VENV"
    "$py" -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha256"
  local want
  want="$(cat "$ROOT"/requirements/*.txt "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing Python dependencies"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements/dev.txt" -c "$ROOT/requirements/constraints.txt"
    echo "$want" > "$stamp"
  fi
  # The notebooks run on the venv's own kernel.
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 >/dev/null
  log "building and installing jangkau"
  # Editable install: Python files are used in place, the extension is rebuilt incrementally in build/.
  "$VENV/bin/python" -m pip install -q --no-build-isolation -e "$ROOT" -Cbuild-dir="$ROOT/build/python"
}

setup() {
  setup_apt
  setup_python
}

run_main() {
  setup
  local out="${OUT:-$ROOT/out}"
  log "main job → $out"
  if [ -n "${REGION_CONFIG:-}" ]; then
    "$VENV/bin/jangkau" run "$REGION_CONFIG" -o "$out"
  elif "$VENV/bin/python" -c 'import sys, jangkau.data as d; sys.exit(d.data_dir(required=False) is None)'; then
    # Real data found: Kabupaten Serang (zones, facility QA and coverage of its registered
    # schools and puskesmas, dapil, pilots, sites, the staged plan) and Kota Cilegon (also road
    # access, gaps and isochrones from its real facilities and roads).
    "$VENV/bin/jangkau" run serang -o "$out/serang"
    "$VENV/bin/jangkau" run cilegon -o "$out/cilegon"
  else
    # No data anywhere (offline, fresh machine): the embedded SYNTHETIC region, labelled so.
    "$VENV/bin/jangkau" run -o "$out/synthetic"
  fi
  log "outputs in $out (open report.html in each folder)"
}

# The C++ sources clang-format checks: everything under engine/, bindings/, tests/cpp/ and the
# benchmarks, less the pending list above.
cxx_sources() {
  (cd "$ROOT" && find engine bindings tests/cpp benchmarks \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) \
     -type f | LC_ALL=C sort)
}

run_lint() {
  [ -x "$VENV/bin/ruff" ] || { echo "no $VENV/bin/ruff: run 'bash scripts/dev.sh setup' first" >&2; exit 1; }
  cd "$ROOT"
  log "lint: ruff (rules in pyproject.toml)"
  "$VENV/bin/ruff" check --no-cache .
  log "lint: mypy (the package; settings in pyproject.toml)"
  "$VENV/bin/mypy" --no-incremental
  lint_cxx
  lint_tidy
  log "lint: clean"
}

lint_cxx() {
  cd "$ROOT"
  log "lint: clang-format --dry-run (layout in .clang-format)"
  local files
  mapfile -t files < <(cxx_sources)
  "$VENV/bin/clang-format" --dry-run --Werror "${files[@]}"
  log "lint: ${#files[@]} C++ files formatted"
}

# clang-tidy (Debian's; profile and the reasons for what it leaves out in .clang-tidy) over every
# .cpp of engine/ and bindings/ (their headers through HeaderFilterRegex), with the compile
# commands of a configure-only build tree: nothing is compiled. Any finding fails the lint.
lint_tidy() {
  cd "$ROOT"
  command -v run-clang-tidy >/dev/null || { echo "no run-clang-tidy: run 'bash scripts/dev.sh setup' first" >&2; exit 1; }
  local dir="$ROOT/build/clang-tidy"
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
        -DJANGKAU_BUILD_TESTS=OFF -DJANGKAU_BUILD_PYTHON=ON -DPython_EXECUTABLE="$VENV/bin/python" \
        -Dpybind11_DIR="$("$VENV/bin/python" -m pybind11 --cmakedir)" >/dev/null
  log "lint: $(clang-tidy --version | grep -o 'LLVM version [0-9.]*' | head -1 | sed 's/LLVM/clang-tidy/') on $JOBS jobs"
  local rc=0
  run-clang-tidy -p "$dir" -j "$JOBS" -quiet "$ROOT/engine/" "$ROOT/bindings/" >"$dir/clang-tidy.log" 2>&1 || rc=$?
  # the findings only: not the per-file command lines, counts of suppressed system-header warnings
  grep -v '^clang-tidy\(-[0-9]*\)\? \|^Running clang-tidy\|warnings\( and [0-9]* errors\)\? generated\|^Suppressed\|^Use -header-filter' \
    "$dir/clang-tidy.log" || true
  [ "$rc" -eq 0 ] || { echo "clang-tidy: findings above (full log: $dir/clang-tidy.log)" >&2; exit 1; }
  log "lint: clang-tidy clean"
}

run_tests() {
  setup
  run_lint
  local werror=OFF
  [ "${CI:-}" = "true" ] && werror=ON
  log "C++ tests (Catch2 via CTest)"
  cmake -S "$ROOT" -B "$ROOT/build/tests" -G Ninja -DCMAKE_BUILD_TYPE=Release -DJANGKAU_BUILD_TESTS=ON \
        -DJANGKAU_WERROR="$werror" >/dev/null
  cmake --build "$ROOT/build/tests" -j "$JOBS"
  ctest --test-dir "$ROOT/build/tests" --output-on-failure -j "$JOBS"
  log "C++ tests again under AddressSanitizer + UBSan (leak checks on)"
  cmake -S "$ROOT" -B "$ROOT/build/asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJANGKAU_BUILD_TESTS=ON \
        -DJANGKAU_SANITIZE=ON -DJANGKAU_WERROR="$werror" >/dev/null
  cmake --build "$ROOT/build/asan" -j "$JOBS"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir "$ROOT/build/asan" --output-on-failure -j "$JOBS"
  log "Python tests (pytest)"
  cd "$ROOT"
  "$VENV/bin/python" -m pytest --nbmake tests/python notebooks "$@"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  setup) setup ;;
  run) run_main ;;
  test) run_tests "$@" ;;
  lint) run_lint ;;
  lint-cxx) lint_cxx ;;
  lint-tidy) lint_tidy ;;
  *) echo "usage: bash scripts/dev.sh setup|run|lint|test [pytest args]" >&2; exit 2 ;;
esac
