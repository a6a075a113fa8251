#!/bin/bash -eu
# Builds Cinder's fuzzers the way OSS-Fuzz and ClusterFuzzLite expect (their Rust guide): the
# builder image runs this with $SRC (the checkout is $SRC/cinder), $OUT (where fuzzers, seed corpora
# and dictionaries go) and $WORK (scratch) set, and cargo, cargo-fuzz and a nightly toolchain with
# the sanitizer flags in the environment. OSS-Fuzz's oss-fuzz/build.sh runs this same file.
#
# For each cargo-fuzz target of fuzz/Cargo.toml it writes
#   $OUT/<target>                   the libFuzzer binary (`cargo fuzz build -O`)
#   $OUT/<target>_seed_corpus.zip   the seeds fuzz/seeds.py makes from the vector files (if any)
#   $OUT/<target>.dict              fuzz/dict/<target>.dict (if there is one)
# fuzz/run-builder.sh runs this on a machine without docker and then every fuzzer it produced.

set -euo pipefail
cd "$SRC/cinder"

# Seed corpora from the committed vectors, into fuzz/corpus/<target>/.
python3 fuzz/seeds.py

cd fuzz
cargo fuzz build -O
# cargo-fuzz puts the binaries under the host triple (fuzz/target/<triple>/release/).
triple="$(rustc -vV | sed -n 's/^host: //p')"
release="target/$triple/release"

targets="$(cargo fuzz list)"
if [ -z "$targets" ]; then
  echo "build.sh: cargo fuzz list names no target" >&2
  exit 1
fi
for target in $targets; do
  cp "$release/$target" "$OUT/$target"
  if [ -d "corpus/$target" ] && [ -n "$(ls -A "corpus/$target")" ]; then
    rm -f "$OUT/${target}_seed_corpus.zip"
    # -j: flat, as libFuzzer wants its corpus; -q: one line per target, not per seed.
    (cd "corpus/$target" && zip -q -j -r "$OUT/${target}_seed_corpus.zip" .)
  fi
  if [ -f "dict/$target.dict" ]; then
    cp "dict/$target.dict" "$OUT/$target.dict"
  fi
  echo "build.sh: $target"
done
