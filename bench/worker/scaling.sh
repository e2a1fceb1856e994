#!/usr/bin/env bash
# The scaling benchmark: tasks/s of sleep tasks at a small worker.concurrency with 1, 2 and 4
# workers of one group, in each group mode (consumer protocol, classic protocol, share group), all
# of one priority; the baseline is one worker of the same group, measured in the same run. Workers
# run in one JVM against one embedded broker (or bootstrap=host:port, for a real cluster).
# Prints a markdown table and writes it to bench/worker/target/scaling-bench.md.
#   bench/worker/scaling.sh [key=value ...]   e.g. rounds=1 modes=consumer workers=1,4
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

./mvnw -q -B install -DskipTests >&2
./mvnw -q -B -Pbench -pl bench/worker -am package -DskipTests >&2

. ./.mvn/find-jdk.sh
exec "$JAVA_HOME/bin/java" -Xmx1g \
  -cp "bench/worker/target/classes:bench/worker/target/lib/*" \
  io.conveyor.bench.worker.ScalingMain "$@"
