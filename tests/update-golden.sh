#!/bin/sh
# make update-golden: rewrites the golden .ok files from what the code
# prints now. Review the diff before committing; never hand-edit .ok files.
#   tests/vectors/conf/*.conf.ok   conf_print() / conf_parse() errors
#                                  (built by $OUT/tests/dotsd_conf_golden)
set -eu
OUT=${OUT:-.output}
cd "$(dirname "$0")/.."
"$OUT/tests/dotsd_conf_golden" -u
git diff --stat -- tests/vectors/conf 2>/dev/null || true
