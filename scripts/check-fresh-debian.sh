#!/bin/sh
# Checks that the README's set-up works on a minimal Debian 12: debootstraps a
# fresh bookworm (minbase) into a temporary directory, copies in the project's
# tracked files (as they are in the working tree, uncommitted changes included),
# and inside a chroot, as root, runs the README's two steps:
#     apt-get update && apt-get install -y make git
#     make test                      (or the target given as arguments)
# Prints one last line, PASS or FAIL and how long it took; exits with the status
# of those steps. Needs root (debootstrap, mount, chroot) and a Debian host.
#
#   sudo sh scripts/check-fresh-debian.sh                  # make test
#   sudo sh scripts/check-fresh-debian.sh compare QUICK=1  # another target
#
# Environment:
#   ROOT=DIR        where to build the chroot; must not exist or be empty
#                   (default: a new mktemp directory under /var/tmp)
#   MIRROR=URL      Debian mirror (default: the host's apt source for bookworm,
#                   else http://deb.debian.org/debian)
#   SECURITY_MIRROR=URL  security archive, bookworm-security (default: the host's,
#                   if it has one; empty: none)
#   KEEP=1          keep the chroot afterwards (it is removed otherwise)
#   UNTRACKED=1     copy untracked files too (not the ignored ones)
#   FROM=REV        copy a commit instead of the working tree (git archive REV)
set -eu

start=$(date +%s)
project=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
[ $# -gt 0 ] || set -- test
what="make $*"

say() { printf 'check-fresh-debian: %s\n' "$*" >&2; }

elapsed() {
    s=$(($(date +%s) - $1))
    printf '%dm%02ds' $((s / 60)) $((s % 60))
}

if [ "$(id -u)" -ne 0 ]; then
    say "needs root (debootstrap, mount and chroot)"
    exit 2
fi

# The first URI in the host's apt sources (one-line .list or deb822 .sources)
# that serves exactly suite $1.
host_uri() {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v suite="$1" '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
                if ($(i + 1) == suite) { print $i; exit }
            }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v suite="$1" '
            BEGIN { RS = ""; FS = "\n" }
            {
                types = ""; uris = ""; suites = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^Types:/)  types  = " " substr($i, 7)  " "
                    if ($i ~ /^URIs:/)   uris   = substr($i, 6)
                    if ($i ~ /^Suites:/) suites = " " substr($i, 8) " "
                }
                gsub(/[ \t]+/, " ", types); gsub(/[ \t]+/, " ", suites)
                if (types ~ / deb / && suites ~ (" " suite " ")) {
                    split(uris, u, /[ \t]+/)
                    for (j in u) if (u[j] != "") { print u[j]; exit }
                }
            }' "$f"
    done
}

if [ -z "${MIRROR:-}" ]; then
    MIRROR=$(host_uri bookworm | head -n 1)
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
if [ -z "${SECURITY_MIRROR+set}" ]; then
    SECURITY_MIRROR=$(host_uri bookworm-security | head -n 1)
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >/dev/null; }
fi

if [ -n "${ROOT:-}" ]; then
    if [ -e "$ROOT" ] && [ -n "$(ls -A -- "$ROOT")" ]; then
        say "ROOT=$ROOT exists and is not empty"
        exit 2
    fi
    mkdir -p -- "$ROOT"
    root=$(CDPATH='' cd -- "$ROOT" && pwd)
else
    root=$(mktemp -d /var/tmp/fresh-debian.XXXXXX)
fi
chmod 755 "$root"   # mktemp's 0700 would keep apt's _apt user out of the chroot
case $root in
    / | "" | *[[:space:]]*) say "refusing ROOT=$root"; exit 2 ;;
esac

mounted=""       # mount points, most recent first
child=""         # the debootstrap or chroot running in the background, in its
                 # own session and process group (setsid)
status=1
finished=""

# shellcheck disable=SC2317  # the functions below run from the EXIT trap
mounts_under_root() {
    awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts
}

# shellcheck disable=SC2317
cleanup() {
    trap - EXIT HUP INT TERM
    if [ -n "$child" ]; then
        kill -TERM -"$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    # Processes left running inside the chroot (daemons, stray test servers)
    # would keep the mounts busy.
    for p in /proc/[0-9]*; do
        r=$(readlink "$p/root" 2>/dev/null) || continue
        case $r in "$root" | "$root"/*) kill -9 "${p#/proc/}" 2>/dev/null || true ;; esac
    done
    # Ours, then anything else left under the root (debootstrap's), deepest first.
    for m in $mounted $(mounts_under_root | sort -r); do
        grep -q " $m " /proc/mounts || continue
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
    done
    rm -f -- "$root.debootstrap.log"
    if [ "${KEEP:-0}" = 1 ]; then
        say "kept the chroot: $root"
    elif [ -n "$(mounts_under_root)" ]; then
        say "still mounted under $root, not removing it:"
        mounts_under_root >&2
    else
        rm -rf -- "$root"
    fi
    [ -n "$finished" ] || printf 'check-fresh-debian: FAIL (%s, setup failed or interrupted) after %s\n' \
        "$what" "$(elapsed "$start")"
    exit "$status"
}
trap cleanup EXIT
trap 'status=130; exit 130' HUP INT TERM

mnt() {   # mnt TARGET MOUNT-ARGS...
    target=$root$1
    shift
    mkdir -p -- "$target"
    mount "$@" "$target"
    mounted="$target $mounted"
}

say "debootstrap --variant=minbase bookworm $root $MIRROR"
# In the background, so that a signal is handled at once (sh waits for a
# foreground command before running a trap), and in a process group of its
# own, so that the trap can stop it and its children.
setsid debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.debootstrap.log" 2>&1 &
child=$!
if ! wait "$child"; then
    child=""
    tail -n 30 "$root.debootstrap.log" >&2
    exit 1
fi
child=""
rm -f -- "$root.debootstrap.log"

# The apt sources of a fresh install: main, updates and security.
{
    echo "deb $MIRROR bookworm main"
    echo "deb $MIRROR bookworm-updates main"
    [ -z "$SECURITY_MIRROR" ] || echo "deb $SECURITY_MIRROR bookworm-security main"
} >"$root/etc/apt/sources.list"
# No service may start inside the chroot (redis-server for `make compare`).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

dest=/root/$(basename -- "$project")
mkdir -p -- "$root$dest"
if [ -n "${FROM:-}" ]; then
    say "copying $FROM from $project (git archive)"
    git -C "$project" rev-parse -q --verify "$FROM^{commit}" >/dev/null ||
        { say "FROM=$FROM: not a commit"; exit 2; }
    git -C "$project" archive --format=tar "$FROM" | tar -xf - -C "$root$dest"
else
    others=""
    [ "${UNTRACKED:-0}" != 1 ] || others="--others --exclude-standard"
    say "copying the working tree's tracked${others:+ and untracked} files from $project" \
        "(HEAD $(git -C "$project" rev-parse --short HEAD)," \
        "$(git -C "$project" status --porcelain --untracked-files=no | wc -l) modified)"
    # (files deleted in the working tree are skipped; no build*/ directories)
    (
        cd -- "$project"
        # $others is a list of options; $f is the inner shell's
        # shellcheck disable=SC2086,SC2016
        git ls-files -z --cached $others |
            grep -zv '^build[^/]*/' |
            xargs -0 sh -c 'for f; do
                if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\0" "$f"; fi; done' sh |
            tar --null --no-recursion -T - -cf -
    ) | tar -xf - -C "$root$dest"
fi

mnt /proc -t proc proc
mnt /sys -t sysfs sysfs
mnt /dev --bind /dev
mnt /dev/pts --bind /dev/pts
mnt /dev/shm -t tmpfs -o mode=1777 tmpfs

say "in the chroot: apt-get update && apt-get install -y make git && $what"
cmd_start=$(date +%s)
set +e
# shellcheck disable=SC2016  # $1 and $@ are the inner shell's
setsid chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/sh -c 'cd "$1" && shift &&
        apt-get update && apt-get install -y make git && make "$@"' sh "$dest" "$@" &
child=$!
wait "$child"
status=$?
child=""
set -e

if [ "$status" -eq 0 ]; then verdict=PASS; else verdict="FAIL (exit $status)"; fi
finished=1
printf 'check-fresh-debian: %s: %s in a fresh Debian 12 chroot, %s (%s with debootstrap)\n' \
    "$verdict" "$what" "$(elapsed "$cmd_start")" "$(elapsed "$start")"
exit "$status"
