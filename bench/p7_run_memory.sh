#!/usr/bin/env bash
# P7: peak resident memory (GNU time's maximum RSS) of `scimcert run --quiet`, the whole
# corpus against the built-in simulations, at three corpus sizes: the corpus, and the
# corpus copied twice and four times into one folder with renamed case ids (so every
# copy runs: 2x and 4x the case files and the requests). RUNS runs each, median.
# Target: at most 40 MB for the corpus, and growing no more than linearly: the step
# from 2x to 4x at most twice the step from 1x to 2x (10 % slack for noise).
# Env: SCIMCERT_BIN (skip the build), RUNS (default 3), TARGET_MB (40).
# Exit: 0 target met, 1 missed, 2 no measurement. The last line is the figure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
need awk sed
[ -x /usr/bin/time ] || die "GNU time is required (Debian: apt-get install -y time)"

RUNS=${RUNS:-3}
TARGET_MB=${TARGET_MB:-40}
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 20 ] || die "RUNS must be 1..20"
BIN="$(scimcert_bin)"
cd "$REPO_DIR"
echo "machine: $(machine)"

# A cases folder holding $1 copies of the corpus; copy k > 1 has ids prefixed `copyk-`.
corpus_copies() {
    local copies=$1 dir="$BENCH_TMP/corpus-$1" k file rel
    mkdir -p "$dir"
    cp cases/rules.yaml "$dir/"
    for k in $(seq 1 "$copies"); do
        while IFS= read -r file; do
            rel="${file#cases/}"
            mkdir -p "$dir/copy$k/$(dirname "$rel")"
            if [ "$k" -eq 1 ]; then
                cp "$file" "$dir/copy$k/$rel"
            else
                sed -E "s/^- id: /- id: copy$k-/" "$file" >"$dir/copy$k/$rel"
            fi
        done < <(find cases -name '*.yaml' ! -path cases/rules.yaml)
    done
    echo "$dir"
}

# Median peak RSS in kB over $RUNS runs on cases folder $1; prints "kB cases".
peak_rss() {
    local dir=$1 _ rc
    : >"$BENCH_TMP/rss"
    for _ in $(seq 1 "$RUNS"); do
        rc=0
        /usr/bin/time -f '%M' -o "$BENCH_TMP/time" timeout 300 "$BIN" run --quiet --cases "$dir" \
            >"$BENCH_TMP/run.out" 2>&1 || rc=$?
        [ "$rc" -le 1 ] || die "scimcert run --cases $dir exited $rc: $(tail -n 5 "$BENCH_TMP/run.out")"
        tail -n 1 "$BENCH_TMP/time" >>"$BENCH_TMP/rss"
    done
    local cases
    cases="$(grep -Eo '[0-9]+ passed' "$BENCH_TMP/run.out" | grep -Eo '[0-9]+' || echo '?')"
    echo "$(sort -n "$BENCH_TMP/rss" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') $cases"
}

read -r one one_cases < <(peak_rss cases)
two_dir="$(corpus_copies 2)"
four_dir="$(corpus_copies 4)"
read -r two two_cases < <(peak_rss "$two_dir")
read -r four four_cases < <(peak_rss "$four_dir")
echo "corpus x1: peak RSS $((one / 1024)) MB ($one kB; $one_cases case runs passed)"
echo "corpus x2: peak RSS $((two / 1024)) MB ($two kB; $two_cases case runs passed)"
echo "corpus x4: peak RSS $((four / 1024)) MB ($four kB; $four_cases case runs passed)"
read -r step1 step2 verdict < <(awk -v a="$one" -v b="$two" -v c="$four" -v t="$TARGET_MB" 'BEGIN {
    s1 = b - a; s2 = c - b
    ok = (a <= t * 1024) && (s2 <= 2 * s1 * 1.1 + 1024)
    printf "%d %d %s\n", s1, s2, ok ? "met" : "missed" }')
finish "$verdict" "P7 run memory: peak RSS $((one / 1024)) MB for the corpus, +$((step1 / 1024)) MB for x2, +$((step2 / 1024)) MB more for x4 (median of $RUNS; target <= $TARGET_MB MB, linear growth)"
