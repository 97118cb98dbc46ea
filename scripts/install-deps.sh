#!/bin/sh
# install-deps.sh [--list] [--no-recommends] [--clean] GROUP...
# Installs the Debian packages of scripts/packages.txt in these groups
# (build, test, bench, runtime) that are missing, with apt-get (as root).
# Used by the Makefile and the Dockerfile, so both install the same list.
#   --list           print the packages of the groups (for this release), install nothing
#   --no-recommends  apt-get --no-install-recommends (the container's stages)
#   --clean          remove apt's package lists afterwards (smaller image layers)
set -eu
here=$(dirname "$0")
list=0 recommends="" clean=0
while [ $# -gt 0 ]; do
    case $1 in
    --list) list=1 ;;
    --no-recommends) recommends=--no-install-recommends ;;
    --clean) clean=1 ;;
    --*) echo "install-deps.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "usage: install-deps.sh [--list] [--no-recommends] [--clean] GROUP..." >&2; exit 2; }

codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
# "PACKAGE COMMAND" for each line of the groups asked for (GROUP@CODENAME
# lines only on that release).
wanted=$(awk -v groups=" $* " -v release="$codename" '
    /^[ \t]*(#|$)/ { next }
    { g = $1; at = index(g, "@"); rel = ""
      if (at) { rel = substr(g, at + 1); g = substr(g, 1, at - 1) }
      if (index(groups, " " g " ") && (rel == "" || rel == release) && !seen[$2]++) print $2, $3 }
' "$here/packages.txt")

if [ "$list" = 1 ]; then
    echo "$wanted" | awk '{ print $1 }'
    exit 0
fi

missing=""
while read -r pkg cmd; do
    [ -n "$pkg" ] || continue
    if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing="$missing $pkg"
done <<LIST
$wanted
LIST

[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: missing Debian packages:$missing" >&2
    echo "install them as root (apt-get install$missing) or run make as root" >&2
    exit 1
fi
echo "installing ($*):$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is meant
apt-get -o DPkg::Lock::Timeout=600 install -y -qq $recommends $missing
if [ "$clean" = 1 ]; then rm -rf /var/lib/apt/lists/*; fi
