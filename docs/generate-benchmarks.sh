#!/usr/bin/env bash
# Runs the benchmark suite (BenchmarkDotNet, short job) and the overload benchmark, then rebuilds
# docs/benchmarks.md from docs/benchmarks.template.md with the new tables and plot. Takes about 20 minutes.
# Usage: bash docs/generate-benchmarks.sh        (SKIP_THROUGHPUT=1: overload part only)
set -euo pipefail
cd "$(dirname "$0")/.."

project=test/Rx.Backpressure.Benchmarks
dotnet build "$project" -c Release
# SKIP_THROUGHPUT=1 keeps the last throughput tables and reruns only the overload benchmark.
if [ -z "${SKIP_THROUGHPUT:-}" ]; then
  dotnet run --project "$project" -c Release --no-build -- --filter '*' --out docs/benchmarks
  # The tables of the single-purpose suites, as BenchmarkDotNet wrote them (the table only).
  for suite in HandOff DroppedOnNext FanOut; do
    grep '^|' "BenchmarkDotNet.Artifacts/results/Rx.Backpressure.Benchmarks.$suite-report-github.md" > "docs/benchmarks/$suite.md"
  done
fi
dotnet run --project "$project" -c Release --no-build -- --overload --out docs/benchmarks
dotnet run --project "$project" -c Release --no-build -- --latency --out docs/benchmarks
dotnet run --project "$project" -c Release --no-build -- --side-by-side --out docs/benchmarks

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//'), $(uname -s) $(uname -r), .NET SDK $(dotnet --version)"
{
  while IFS= read -r line; do
    case "$line" in
      '{{throughput}}') cat docs/benchmarks/throughput.md ;;
      '{{overload}}') cat docs/benchmarks/overload.md ;;
      '{{latency}}') cat docs/benchmarks/latency.md ;;
      '{{sidebyside}}') cat docs/benchmarks/side-by-side.md ;;
      '{{handoff}}') cat docs/benchmarks/HandOff.md ;;
      '{{dropped}}') cat docs/benchmarks/DroppedOnNext.md ;;
      '{{fanout}}') cat docs/benchmarks/FanOut.md ;;
      '{{analysis}}') cat docs/benchmarks/analysis.md ;;
      *) line=${line//'{{date}}'/$(date -u +%Y-%m-%d)}; printf '%s\n' "${line//'{{machine}}'/$machine}" ;;
    esac
  done < docs/benchmarks.template.md
} > docs/benchmarks.md
echo "docs/benchmarks.md regenerated"
