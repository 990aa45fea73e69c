#!/usr/bin/env bash
# Regenerates docs/reliability.md from docs/reliability.template.md with the figures of a fresh run of the
# reliability and stress tests. Usage: bash docs/generate-reliability.sh   (STRESS_ROUNDS=N for longer stress runs)
set -euo pipefail
cd "$(dirname "$0")/.."

figures=$(mktemp)
log=$(mktemp)
start=$(date +%s)
RELIABILITY_FIGURES="$figures" dotnet test test/Rx.Backpressure.Tests/Rx.Backpressure.Tests.csproj \
  --filter "Category=Reliability|Category=Stress" 2>&1 | tee "$log"
seconds=$(( $(date +%s) - start ))

summary=$(grep -E '(Passed|Failed)!' "$log" | tail -n 1 | sed 's/^ *//')
sedargs=(-e "s|{{date}}|$(date -u +%Y-%m-%d)|g"
         -e "s|{{machine}}|$(nproc) cores, $(uname -s) $(uname -m), .NET SDK $(dotnet --version)|g"
         -e "s|{{seconds}}|$seconds|g"
         -e "s|{{stress_rounds}}|${STRESS_ROUNDS:-4}|g"
         -e "s|{{summary}}|$summary|g")
while IFS='=' read -r key value; do
  pretty=$(echo "$value" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
  sedargs+=(-e "s|{{$key}}|$pretty|g")
done < "$figures"

sed "${sedargs[@]}" docs/reliability.template.md > docs/reliability.md
rm -f "$figures" "$log"
echo "docs/reliability.md regenerated"
