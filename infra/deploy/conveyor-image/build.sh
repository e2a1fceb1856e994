#!/usr/bin/env bash
# Builds the Conveyor image locally, without any container registry (the Dockerfile beside this
# script is the same image for machines that can pull eclipse-temurin):
#   1. a base image (default conveyor/runtime-base:bookworm-local): a Debian bookworm minbase root
#      filesystem from debootstrap (this machine's apt mirror) plus a Java runtime made by jlink
#      from the JDK 21+ that ./mvnw uses, in /opt/java/openjdk as in the eclipse-temurin images.
#      Cached as an image and rebuilt only when this script or the JDK changes.
#   2. the app image (default conveyor/conveyor:<project version>): the base plus
#      pipeline/app/target/conveyor.jar and its lib/ folder (built by ./conveyor if stale) in
#      /opt/conveyor, and the entry point and healthcheck scripts from rootfs/.
# Both are put together with `docker import`, so no image builder (BuildKit or legacy) is needed.
#
# Usage: infra/deploy/conveyor-image/build.sh [--force]
#   --force   rebuild the base image too
# Environment:
#   CONVEYOR_IMAGE          app image name (default conveyor/conveyor:<version from pom.xml>)
#   CONVEYOR_BASE_IMAGE     base image name (default conveyor/runtime-base:bookworm-local)
#   CONVEYOR_DEBIAN_MIRROR  Debian mirror (default: the one apt uses on this machine)
#
# Needs docker with a running engine; the base image also needs root and debootstrap.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build="$here/build"
suite=bookworm
force=false

log() { printf '==> %s\n' "$*"; }
die() {
  printf 'conveyor-image/build.sh: %s\n' "$*" >&2
  exit 1
}

for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$arg' (expected --force or --help)" ;;
  esac
done

command -v docker >/dev/null || die "docker is not installed (apt-get install -y docker.io)"
docker info >/dev/null 2>&1 || die "no Docker engine answers 'docker info'; start dockerd first"

version=$(sed -n '0,/<version>/s|.*<version>\(.*\)</version>.*|\1|p' "$repo/pom.xml")
[[ -n "$version" ]] || die "cannot read the project version from $repo/pom.xml"
image="${CONVEYOR_IMAGE:-conveyor/conveyor:$version}"
base_image="${CONVEYOR_BASE_IMAGE:-conveyor/runtime-base:bookworm-local}"

# The JDK the project builds with (JDK 21+); jlink links the runtime from it.
# shellcheck source=/dev/null
. "$repo/.mvn/find-jdk.sh"
jdk_release=$(tr -d '\n' <"$JAVA_HOME/release" | sha256sum | cut -c1-12)
modules=java.se,jdk.unsupported,jdk.management,jdk.management.jfr,jdk.jfr,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.naming.dns,jdk.zipfs,jdk.net,jdk.security.auth,jdk.security.jgss,jdk.charsets,jdk.jcmd
base_key=$( (sed -n '/^# -- base image --/,/^# -- end of base image --/p' "$0"; echo "$suite $modules $jdk_release") \
  | sha256sum | cut -c1-16)

start=$(date +%s)
mkdir -p "$build"

# The Debian mirror this machine's apt uses (deb822 .sources or one-line .list files).
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    uri=$(awk -v suite="$suite" 'BEGIN { RS = ""; FS = "\n" }
      { u = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u = a[1] }
          if ($i ~ /^Suites:/ && $i ~ ("[ \t]" suite "([ \t]|$)")) ok = 1 }
        if (ok && u != "" && u !~ /security/) { print u; exit } }' "$f")
    [[ -n "$uri" ]] && { printf '%s\n' "$uri"; return 0; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    uri=$(awk -v suite="$suite" '$1 == "deb" && $0 !~ /security/ {
        for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) == suite) { print $i; exit } } }' "$f")
    [[ -n "$uri" ]] && { printf '%s\n' "$uri"; return 0; }
  done
  return 1
}

# Lazily unmounts whatever is mounted under $1 (deepest first).
unmount_under() {
  local dir mounts
  [[ -d "$1" ]] || return 0
  dir=$(cd "$1" && pwd -P)
  mapfile -t mounts < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r)
  ((${#mounts[@]})) || return 0
  umount -l "${mounts[@]}"
}

# -- base image --
built_key=$(docker image inspect --format '{{index .Config.Labels "io.conveyor.sources"}}' "$base_image" 2>/dev/null || true)
if [[ "$force" == true || "$built_key" != "$base_key" ]]; then
  [[ "$(id -u)" == 0 ]] || die "debootstrap needs root; run as root (or build with the Dockerfile)"
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install -y debootstrap)"
  mirror="${CONVEYOR_DEBIAN_MIRROR:-$(debian_mirror || true)}"
  [[ -n "$mirror" ]] || die "cannot find a Debian $suite mirror in /etc/apt/sources.list*; set CONVEYOR_DEBIAN_MIRROR"
  rootfs="$build/base-rootfs"
  unmount_under "$rootfs"
  rm -rf "$rootfs"
  log "debootstrap --variant=minbase $suite from $mirror"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$build/debootstrap.log" 2>&1 || {
    tail -n 30 "$build/debootstrap.log" >&2
    unmount_under "$rootfs"
    die "debootstrap failed; full log in $build/debootstrap.log"
  }
  # debootstrap can leave /proc mounted in the target (seen in containers); never archive it
  unmount_under "$rootfs"
  (
    cd "$rootfs"
    rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* usr/share/doc/* \
      usr/share/man/* usr/share/info/* usr/share/locale/* var/log/*.log debootstrap
  )
  log "jlink a Java runtime from $JAVA_HOME into /opt/java/openjdk"
  mkdir -p "$rootfs/opt/java"
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --output "$rootfs/opt/java/openjdk"
  # The official images run as a non-root user; so does this one (uid 1000, like Kafka's appuser).
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 conveyor
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid 1000 --no-create-home --home-dir /var/lib/conveyor \
    --shell /usr/sbin/nologin conveyor
  mkdir -p "$rootfs/var/lib/conveyor"
  chown 1000:1000 "$rootfs/var/lib/conveyor"
  chmod 1777 "$rootfs/tmp"
  log "Importing $base_image"
  tar -C "$rootfs" --one-file-system -c . | docker import \
    --change "ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV JAVA_HOME=/opt/java/openjdk" \
    --change "LABEL io.conveyor.sources=$base_key" \
    - "$base_image" >/dev/null
  rm -rf "$rootfs"
else
  log "Base image $base_image is up to date"
fi
# -- end of base image --

# The app: ./conveyor builds pipeline/app/target/conveyor.jar and lib/ when sources changed.
log "Building the app if its sources changed (./conveyor --version)"
"$repo/conveyor" --version
app="$repo/pipeline/app/target"
[[ -f "$app/conveyor.jar" && -d "$app/lib" ]] || die "no $app/conveyor.jar and lib/ after the build"

# App image = base filesystem + app files, appended to the exported base (one tar, one import).
log "Assembling $image on $base_image"
staging="$build/app"
rm -rf "$staging" "$build/image.tar"
mkdir -p "$staging/opt/conveyor" "$staging/usr/local/bin"
cp "$app/conveyor.jar" "$staging/opt/conveyor/"
cp -R "$app/lib" "$staging/opt/conveyor/"
cp -R "$here/rootfs/." "$staging/"
container=$(docker create "$base_image" /bin/true)
docker export "$container" >"$build/image.tar"
docker rm "$container" >/dev/null
# only paths the base does not have (a second entry for an existing directory is refused)
(cd "$staging" && find opt/conveyor usr/local/bin -mindepth 1 -print0 | sort -z) \
  | tar -C "$staging" --owner=0 --group=0 --no-recursion --null -T - -rf "$build/image.tar" opt/conveyor
app_hash=$( (cd "$staging" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)
previous=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
docker import \
  --change "ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV JAVA_HOME=/opt/java/openjdk" \
  --change "LABEL org.opencontainers.image.title=conveyor org.opencontainers.image.version=$version io.conveyor.sources=$app_hash" \
  --change "EXPOSE 8080" \
  --change "WORKDIR /var/lib/conveyor" \
  --change "USER 1000:1000" \
  --change 'ENTRYPOINT ["/usr/local/bin/conveyor"]' \
  --change 'CMD ["--help"]' \
  "$build/image.tar" "$image" >/dev/null
rm -rf "$staging" "$build/image.tar"
current=$(docker image inspect --format '{{.Id}}' "$image")
if [[ -n "$previous" && "$previous" != "$current" ]]; then
  docker image rm "$previous" >/dev/null 2>&1 || true
fi
size=$(docker image inspect --format '{{.Size}}' "$image")
log "Built $image ($((size / 1024 / 1024)) MB) in $(($(date +%s) - start)) s"
