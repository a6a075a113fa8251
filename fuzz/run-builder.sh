#!/usr/bin/env bash
# Proves .clusterfuzzlite/build.sh (which OSS-Fuzz's oss-fuzz/build.sh also runs) on a machine
# without docker: runs it with $SRC, $OUT and $WORK set as the OSS-Fuzz / ClusterFuzzLite builder
# sets them (the checkout at $SRC/cinder), then runs every fuzzer binary it put in $OUT for
# SECONDS seconds, starting from its $OUT/<target>_seed_corpus.zip and with its $OUT/<target>.dict,
# as ClusterFuzzLite's run step does. Any fuzzer that crashes, or a target without a binary, fails.
#
# Usage: bash fuzz/run-builder.sh [SECONDS]     (default: $FUZZ_SECONDS, else 10)
# Needs: cargo-fuzz, a nightly toolchain, python3, zip and unzip. CI's fuzz step is this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for tool in python3 zip unzip cargo-fuzz; do
  if ! command -v "$tool" >/dev/null; then
    echo "run-builder.sh: needs $tool (cargo-fuzz: cargo install cargo-fuzz --locked)" >&2
    exit 1
  fi
done
SECONDS_EACH="${1:-${FUZZ_SECONDS:-10}}"
BASE="$(mktemp -d "${TMPDIR:-/tmp}/cinder-builder.XXXXXX")"
trap 'rm -rf "$BASE"' EXIT
export SRC="$BASE/src" OUT="$BASE/out" WORK="$BASE/work"
mkdir -p "$SRC" "$OUT" "$WORK"
# The builder copies the checkout to $SRC/cinder; a link does the same here without a second
# target directory, so the build reuses (and leaves) fuzz/target/ like any local cargo fuzz run.
ln -s "$ROOT" "$SRC/cinder"

start=$SECONDS
RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-nightly}" bash "$ROOT/.clusterfuzzlite/build.sh"
echo "build.sh: done in $((SECONDS - start)) s; \$OUT holds:"
(cd "$OUT" && ls -l)

expected="$(cd "$ROOT/fuzz" && RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-nightly}" cargo fuzz list)"
# Every file in fuzz_targets/ must be a target cargo fuzz knows (a [[bin]] of fuzz/Cargo.toml).
for file in "$ROOT"/fuzz/fuzz_targets/*.rs; do
  name="$(basename "$file" .rs)"
  if ! grep -qx "$name" <<<"$expected"; then
    echo "run-builder.sh: fuzz/fuzz_targets/$name.rs is not a [[bin]] of fuzz/Cargo.toml" >&2
    exit 1
  fi
done
summary=()
for target in $expected; do
  binary="$OUT/$target"
  if [ ! -x "$binary" ]; then
    echo "run-builder.sh: build.sh produced no fuzzer $target" >&2
    exit 1
  fi
  corpus="$WORK/corpus/$target"
  mkdir -p "$corpus"
  seeds=0
  if [ -f "$OUT/${target}_seed_corpus.zip" ]; then
    unzip -q -o "$OUT/${target}_seed_corpus.zip" -d "$corpus"
    seeds="$(find "$corpus" -type f | wc -l)"
  fi
  args=(-max_total_time="$SECONDS_EACH" -print_final_stats=1)
  if [ -f "$OUT/$target.dict" ]; then args+=(-dict="$OUT/$target.dict"); fi
  echo "---- $target: $seeds seeds, ${SECONDS_EACH}s"
  log="$WORK/$target.log"
  ran=$SECONDS
  if ! (cd "$WORK" && "$binary" "${args[@]}" "$corpus") >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "run-builder.sh: $target failed (log above)" >&2
    exit 1
  fi
  ran=$((SECONDS - ran))
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  grep -E '^(#[0-9]+ *DONE|Done )' "$log" | tail -n 1 || true
  summary+=("$(printf '%-20s %6s seeds %4ss %10s runs' "$target" "$seeds" "$ran" "${execs:-?}")")
done
echo
echo "==== fuzzers built by build.sh and run from their seed corpora"
printf '%s\n' "${summary[@]}"
