#!/usr/bin/env bash
# The submission API benchmark: one embedded broker, one JSON body, wrk with 64 connections.
# Side by side: (a) a bare Vert.x endpoint (parse + 202, no Kafka), (b) POST /v1/tasks,
# (c) POST /v1/tasks/batch with 100 tasks a request, (d) a raw KafkaProducer with the API's
# producer settings; then the p99 of (b) at half its peak (open loop) and a 10x overload.
# Prints a markdown table with the ratios against the targets of issue 3.
#   ./mvnw -q install -DskipTests     # once, on a fresh clone
#   bench/api/run.sh [SECONDS]        # each measurement runs SECONDS (default 10); about 3 minutes ((c) and (d) 3 rounds each)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
seconds=${1:-10}
if ! command -v wrk >/dev/null; then
  echo "bench/api/run.sh needs wrk (Debian/Ubuntu: apt-get install -y wrk)" >&2
  exit 1
fi
. .mvn/find-jdk.sh
./mvnw -q -pl producers test-compile
./mvnw -q -pl producers dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath >/dev/null
exec "${JAVA_HOME}/bin/java" -Xms512m -Xmx512m -XX:+UseG1GC -Dbench.seconds="$seconds" \
  -cp "producers/target/test-classes:producers/target/classes:$(cat producers/target/bench.classpath)" \
  io.conveyor.producers.bench.ApiBench
