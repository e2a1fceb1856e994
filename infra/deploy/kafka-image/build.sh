#!/usr/bin/env bash
# Builds a local Apache Kafka image (default conveyor/kafka:4.3.1-local) without any container
# registry: a Debian bookworm root filesystem from debootstrap (using this machine's apt
# mirror), a headless JRE, the Kafka broker jars and their runtime dependencies from Maven
# Central, and an /etc/kafka/docker/run entry point compatible with the official apache/kafka
# image, so Testcontainers' KafkaContainer can run it.
#
# Usage: infra/deploy/kafka-image/build.sh [--force] [--clean]
#   --force   rebuild the image even if it exists (reuses the cached Debian root filesystem)
#   --clean   also delete the cached root filesystem and jars (implies --force)
# Environment:
#   CONVEYOR_KAFKA_IMAGE    image name (default conveyor/kafka:4.3.1-local)
#   CONVEYOR_DEBIAN_MIRROR  Debian mirror (default: the one apt uses on this machine)
#
# Needs root (debootstrap), docker with a running engine, and debootstrap.
# Build artifacts live in infra/deploy/kafka-image/build/ (gitignored).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build="$here/build"
image="${CONVEYOR_KAFKA_IMAGE:-conveyor/kafka:4.3.1-local}"
suite=bookworm
jre_package=openjdk-17-jre-headless
force=false
clean=false

log() { printf '==> %s\n' "$*"; }
die() {
  printf 'build.sh: %s\n' "$*" >&2
  exit 1
}

for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    --clean) force=true clean=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg' (expected --force, --clean or --help)" ;;
  esac
done

command -v docker >/dev/null || die "docker is not installed (apt-get install -y docker.io)"
docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info'; start dockerd first"

# What the image is built from; an existing image built from other sources is rebuilt.
sources_hash=$(cd "$here" && find build.sh pom.xml rootfs -type f -print0 | sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [[ "$force" == false ]] && docker image inspect "$image" >/dev/null 2>&1; then
  built_from=$(docker image inspect --format '{{index .Config.Labels "io.conveyor.sources"}}' "$image")
  if [[ "$built_from" == "$sources_hash" ]]; then
    log "Image $image already exists; nothing to do (use --force to rebuild)."
    exit 0
  fi
  log "Image $image exists but was built from other sources ($built_from); rebuilding."
fi

[[ "$(id -u)" == 0 ]] || die "debootstrap needs root; run as root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install -y debootstrap)"

# The Debian mirror this machine's apt uses, from deb822 .sources or one-line .list files.
debian_mirror() {
  local files=() f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] && files+=("$f")
  done
  ((${#files[@]})) || return 1
  # deb822: a stanza whose Suites include the suite; take its URIs.
  uri=$(awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris = u[1] }
          if ($i ~ /^Suites:/ && $i ~ ("[ \t]" suite "([ \t]|$)")) ok = 1
        }
        if (ok && uris != "" && uris !~ /security/) { print uris; exit }
      }' "${files[@]}" 2>/dev/null || true)
  if [[ -z "$uri" ]]; then
    uri=$(awk -v suite="$suite" '$1 == "deb" && $0 !~ /security/ {
        for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) == suite) { print $i; exit } }
      }' "${files[@]}" 2>/dev/null || true)
  fi
  [[ -n "$uri" ]] && printf '%s\n' "$uri"
}

mirror="${CONVEYOR_DEBIAN_MIRROR:-$(debian_mirror || true)}"
[[ -n "$mirror" ]] || die "cannot find a Debian $suite mirror in /etc/apt/sources.list*; set CONVEYOR_DEBIAN_MIRROR"

start=$(date +%s)
if [[ "$clean" == true ]]; then
  log "Removing $build"
  rm -rf "$build"
fi
mkdir -p "$build"

# 1. Debian root filesystem with a headless JRE (cached: this is the slow step).
base="$build/base-rootfs.tar"
base_stamp="$build/base-rootfs.stamp"
base_key="$suite $mirror $jre_package minbase"
if [[ ! -f "$base" || "$(cat "$base_stamp" 2>/dev/null)" != "$base_key" ]]; then
  log "debootstrap --variant=minbase $suite from $mirror (with $jre_package)"
  rm -rf "$build/debootstrap" "$base" "$base_stamp"
  debootstrap --variant=minbase --include="$jre_package" "$suite" "$build/debootstrap" "$mirror" \
    >"$build/debootstrap.log" 2>&1 || {
    tail -n 30 "$build/debootstrap.log" >&2
    die "debootstrap failed; full log in $build/debootstrap.log"
  }
  log "Trimming the root filesystem"
  (
    cd "$build/debootstrap"
    rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* \
      usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* var/log/*.log \
      debootstrap
  )
  tar -C "$build/debootstrap" -cf "$base.tmp" .
  mv "$base.tmp" "$base"
  printf '%s' "$base_key" >"$base_stamp"
  rm -rf "$build/debootstrap"
else
  log "Reusing cached Debian root filesystem $base"
fi

# 2. Kafka broker jars and their runtime dependencies, from Maven Central.
libs="$build/libs"
log "Copying Kafka runtime jars (infra/deploy/kafka-image/pom.xml) into $libs"
rm -rf "$libs"
"$repo/mvnw" -B -q -f "$here/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$libs"
ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1 || die "no kafka_2.13 jar was copied into $libs"
kafka_version=$(basename "$libs"/kafka_2.13-*.jar .jar)
kafka_version=${kafka_version#kafka_2.13-}

# 3. Assemble the image root filesystem.
rootfs="$build/rootfs"
log "Assembling $rootfs"
rm -rf "$rootfs"
mkdir -p "$rootfs"
tar -C "$rootfs" -xf "$base"
mkdir -p "$rootfs/opt/kafka/libs" "$rootfs/opt/kafka/config" "$rootfs/mnt/shared/config" \
  "$rootfs/var/lib/kafka/data" "$rootfs/etc/kafka/docker"
cp "$libs"/*.jar "$rootfs/opt/kafka/libs/"
cp -R "$here/rootfs/." "$rootfs/"
chmod 0755 "$rootfs/etc/kafka/docker/run"
# The official image runs as appuser (uid 1000); so does this one.
chroot "$rootfs" /usr/sbin/groupadd --gid 1000 appuser
chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid 1000 --no-create-home --home-dir /home/appuser \
  --shell /bin/bash appuser
chown -R 1000:1000 "$rootfs/opt/kafka" "$rootfs/mnt/shared/config" "$rootfs/var/lib/kafka"
chmod 1777 "$rootfs/tmp"
java_home=$(cd "$rootfs" && dirname "$(dirname "$(readlink -f "$rootfs/usr/bin/java" | sed "s|^$rootfs||")")")
[[ -x "$rootfs$java_home/bin/java" ]] || die "no java found in the root filesystem ($java_home)"

# 4. Import it as an image (replacing an older build of the same name).
previous=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
log "Importing $image"
tar -C "$rootfs" -c . | docker import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV JAVA_HOME=$java_home" \
  --change "ENV KAFKA_VERSION=$kafka_version" \
  --change "LABEL org.opencontainers.image.title=conveyor-kafka org.opencontainers.image.version=$kafka_version io.conveyor.sources=$sources_hash" \
  --change "EXPOSE 9092" \
  --change "WORKDIR /" \
  --change "USER appuser" \
  --change 'CMD ["/etc/kafka/docker/run"]' \
  - "$image" >/dev/null
rm -rf "$rootfs"
current=$(docker image inspect --format '{{.Id}}' "$image")
if [[ -n "$previous" && "$previous" != "$current" ]]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi

size=$(docker image inspect --format '{{.Size}}' "$image")
log "Built $image (Kafka $kafka_version, $((size / 1024 / 1024)) MB) in $(($(date +%s) - start)) s"
