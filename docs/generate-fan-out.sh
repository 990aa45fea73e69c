#!/usr/bin/env bash
# Runs the fan-out scale runner (the FanOut sample in a child process, 100 / 1,000 / 5,000 SignalR and gRPC clients on
# loopback) and rebuilds docs/fan-out.md from docs/fan-out.template.md with the new table and plot. About 10 minutes.
# The analysis paragraph is docs/benchmarks/fan-out-analysis.md, written by hand for a run.
set -euo pipefail
cd "$(dirname "$0")/.."

project=test/Rx.Backpressure.Benchmarks
dotnet build "$project" -c Release
dotnet run --project "$project" -c Release --no-build -- --fan-out --out docs/benchmarks

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//'), $(uname -s) $(uname -r), .NET SDK $(dotnet --version)"
{
  while IFS= read -r line; do
    case "$line" in
      '{{scale}}') cat docs/benchmarks/fan-out.md ;;
      '{{scale_analysis}}') cat docs/benchmarks/fan-out-analysis.md ;;
      *) line=${line//'{{date}}'/$(date -u +%Y-%m-%d)}; printf '%s\n' "${line//'{{machine}}'/$machine}" ;;
    esac
  done < docs/fan-out.template.md
} > docs/fan-out.md
echo "docs/fan-out.md regenerated"
