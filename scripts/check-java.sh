#!/usr/bin/env bash
# Make sure a Java 17+ runtime is present for the Spark backend (the `spark` extra).
# Installs Debian's headless JRE when missing and allowed to; otherwise says what to do.
# It never fails the build: without Java the Spark tests skip with the reason, and in CI
# (CI=true) they fail, so CI cannot pass without running them.
set -uo pipefail
java_major() {
  local line
  line=$("$1" -version 2>&1 | head -n 1) || return 1
  [[ $line =~ version\ \"([0-9]+)(\.([0-9]+))? ]] || return 1
  if [[ ${BASH_REMATCH[1]} == 1 ]]; then echo "${BASH_REMATCH[3]}"; else echo "${BASH_REMATCH[1]}"; fi
}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/java}
[[ -n $JAVA && -x $JAVA ]] || JAVA=$(command -v java || true)
if [[ -n $JAVA ]] && major=$(java_major "$JAVA") && (( major >= 17 )); then
  exit 0
fi
if [[ -n ${SPARK_REMOTE:-} ]]; then
  exit 0  # Spark Connect: Java runs on the cluster
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO="none"; fi
fi
if [[ $SUDO != none ]] && command -v apt-get >/dev/null; then
  echo "Installing a Java 17 runtime for the Spark backend (apt-get)…"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends \
    openjdk-17-jre-headless >/dev/null && exit 0
fi
echo "warning: no Java 17 runtime: the Spark backend and its tests need one" \
  "(Debian: apt-get install openjdk-17-jre-headless; or set JAVA_HOME)." >&2
exit 0
