#!/usr/bin/env bash
# Long fuzz pass over the readers jangkau owns (tests/python/test_fuzz.py): region TOML,
# population and dapil-plan CSVs, GeoJSON point layers through the engine's reader, the CLI
# option parsers and command lines. The normal test run does a bounded, derandomised pass
# (40 examples per target); this runs EXAMPLES (default 2000) randomised examples per target.
# The C++ engine is fuzzed by the sanitizer builds (ASan/UBSan, see docs/guarantees.md).
#
#   scripts/fuzz.sh                 # 2000 examples per target (about 30 min on 2 cores)
#   EXAMPLES=200 scripts/fuzz.sh -k geojson
#
# Needs the extension built or symlinked into bindings/python/jangkau (see docs) and
# hypothesis (requirements/dev.txt). A failure prints the smallest failing input.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
export PYTHONPATH="$PWD/bindings/python${PYTHONPATH:+:$PYTHONPATH}"
export JANGKAU_FUZZ_EXAMPLES="${EXAMPLES:-2000}"
export JANGKAU_FUZZ_LONG=1
exec "$PY" -m pytest tests/python/test_fuzz.py -q -p no:cacheprovider "$@"
