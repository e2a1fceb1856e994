#!/usr/bin/env bash
# The rollup benchmark: (r) the rollups (Kafka Streams, exactly-once, the full topology) folding a
# pre-loaded results topic from scratch, against (c) a raw KafkaConsumer reading the same records
# and doing nothing. One embedded broker (in the orchestrator JVM, which also pre-loads the
# topics); each row in a fresh JVM of its own, after warm-up passes until its JIT settles, and row
# (w), the worker's no-op throughput, in the same run. Kafka Streams rows are measured while all
# their stream threads process (StreamsWindow). Prints a markdown table and
# writes it to bench/rollups/target/rollups-bench.md.
#   bench/rollups/run.sh [key=value ...]   e.g. tasks=2000000 rounds=1 streams.num.stream.threads=4
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

./mvnw -q -B install -DskipTests >&2
# -am: take the Conveyor modules from this reactor build, not whatever ~/.m2 holds by now
./mvnw -q -B -Pbench -pl bench/rollups -am package -DskipTests >&2

# the JDK ./mvnw found (a JDK 21+), without building anything
. ./.mvn/find-jdk.sh
exec "$JAVA_HOME/bin/java" -Xmx2g \
  -cp "bench/rollups/target/classes:bench/rollups/target/lib/*" \
  io.conveyor.bench.rollups.BenchMain "$@"
