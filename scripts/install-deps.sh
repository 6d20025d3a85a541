#!/bin/sh
# Installs the Debian packages the project needs, if any are missing.
# Idempotent and quiet when everything is present. Needs root (or sudo) only
# when something has to be installed.
#
#   install-deps.sh            what building and testing need
#   install-deps.sh compare    that, and Redis, which `make compare` measures
#                              stage 10 against
set -eu

packages="build-essential cmake pkg-config clang libclang-rt-14-dev \
libcjson-dev liburcu-dev check uthash-dev netcat-openbsd python3 gnuplot-nox"
if [ "${1:-}" = compare ]; then
    packages="$packages redis-server"
fi

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086  # word splitting of the package list is intended
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
