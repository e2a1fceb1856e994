# Sourced (POSIX sh) by ./mvnw and ./conveyor: makes JAVA_HOME point at a JDK 21 or newer.
# Order: CONVEYOR_JAVA_HOME, JAVA_HOME, `java` on PATH, then the usual install folders;
# among the folders the newest JDK wins. Prints a clear message and fails if none is found.

conveyor_java_major() {
  # $1: a JDK home; prints its feature version (17, 21, 25...) or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
  fi
}

conveyor_find_jdk() {
  conveyor_best=""
  conveyor_best_major=0
  for conveyor_candidate in "${CONVEYOR_JAVA_HOME-}" "${JAVA_HOME-}"; do
    [ -n "$conveyor_candidate" ] || continue
    conveyor_major=$(conveyor_java_major "$conveyor_candidate")
    if [ "${conveyor_major:-0}" -ge 21 ]; then
      JAVA_HOME=$conveyor_candidate
      return 0
    fi
  done
  if command -v java >/dev/null 2>&1 && command -v readlink >/dev/null 2>&1; then
    conveyor_candidate=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    conveyor_major=$(conveyor_java_major "$conveyor_candidate")
    if [ "${conveyor_major:-0}" -ge 21 ]; then
      JAVA_HOME=$conveyor_candidate
      return 0
    fi
  fi
  for conveyor_candidate in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/java/* \
    "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* \
    /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$conveyor_candidate" ] || continue
    conveyor_major=$(conveyor_java_major "$conveyor_candidate")
    if [ "${conveyor_major:-0}" -gt "$conveyor_best_major" ]; then
      conveyor_best=$conveyor_candidate
      conveyor_best_major=$conveyor_major
    fi
  done
  if [ "$conveyor_best_major" -ge 21 ]; then
    JAVA_HOME=$conveyor_best
    return 0
  fi
  echo "Conveyor needs a JDK 21 or newer, and none was found." >&2
  echo "Looked at CONVEYOR_JAVA_HOME, JAVA_HOME, the java on PATH and /usr/lib/jvm, /opt/java, ~/.sdkman, ~/.jdks." >&2
  echo "Install one (for example: apt-get install openjdk-21-jdk) or set JAVA_HOME to it." >&2
  return 1
}

conveyor_find_jdk || exit 1
export JAVA_HOME
PATH="$JAVA_HOME/bin:$PATH"
export PATH
