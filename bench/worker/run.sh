#!/usr/bin/env bash
# The worker benchmark: (a) a hand-written consume/decode/produce/commit loop, (b) Conveyor with a
# no-op handler, (c) Conveyor with a 20 ms sleep handler at concurrency 1,000, (d) Confluent
# Parallel Consumer 0.5.3.3 on both workloads, (e) Conveyor under 10x overload. One embedded
# broker (in the orchestrator JVM); each row in a fresh JVM of its own, after a warm-up pass.
# Prints a markdown table and writes it to bench/worker/target/worker-bench.md.
#   bench/worker/run.sh [key=value ...]   e.g. rows=a,b tasks=100000 overloadSeconds=10
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

./mvnw -q -B install -DskipTests >&2
# -am: take the Conveyor modules from this reactor build, not whatever ~/.m2 holds by now
./mvnw -q -B -Pbench -pl bench/worker -am package -DskipTests >&2

# the JDK ./mvnw found (a JDK 21+), without building anything
. ./.mvn/find-jdk.sh
exec "$JAVA_HOME/bin/java" -Xmx2g \
  -cp "bench/worker/target/classes:bench/worker/target/lib/*" \
  io.conveyor.bench.worker.BenchMain "$@"
