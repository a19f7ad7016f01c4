#!/usr/bin/env bash
# Checks the Debian package that `make deb` builds (cmake/packaging.cmake), as far as a machine
# without a running systemd allows:
#   0. `make install`'s cmake --install puts the programs, the unit (ExecStart rewritten to the
#      prefix) and the nginx sample under a scratch PREFIX.
#   1. cpack builds it from BUILD_DIR; `dpkg-deb --info` names the package, its dependencies and
#      the three maintainer scripts, and `dpkg-deb --contents` lists exactly the expected files.
#   2. lintian (when installed; scripts/bootstrap --test installs it) reports no error.
#   3. Unpacked into a scratch root (dpkg -x), the programs run, and the packaged unit starts
#      /usr/bin/progressd as the user progressd and passes `systemd-analyze verify` and the same
#      sandbox score as deploy/progressd.service.
#   4. postinst, prerm and postrm, run with the system commands they call replaced by recorders,
#      create the user and /var/lib/progressd, enable the service, and on purge remove both.
# Usage: tests/deploy/verify_deb.sh BUILD_DIR   (ctest: deploy_deb)
set -euo pipefail

build=${1:?usage: verify_deb.sh BUILD_DIR}
fail() { echo "verify_deb: $*" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- 0: make install (cmake --install) into a scratch prefix --------------------------------
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/progressd bin/progressctl share/progressd/progressd.service share/progressd/nginx.conf; do
    [[ -f $prefix/$f ]] || fail "make install does not install PREFIX/$f"
done
[[ -x $prefix/bin/progressd && -x $prefix/bin/progressctl ]] || fail "make install leaves the programs not executable"
grep -q "^ExecStart=$prefix/bin/progressd " "$prefix/share/progressd/progressd.service" ||
    fail "the installed unit does not start PREFIX/bin/progressd"
echo "verify_deb: make install: both programs in PREFIX/bin, unit and nginx sample in PREFIX/share/progressd"

# ---- 1: build, info, contents ----------------------------------------------------------------
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log" >&2; fail "cpack could not build the package"; }
debs=("$tmp"/pkg/progressd_*.deb)
[[ -f ${debs[0]} ]] || fail "cpack made no progressd_*.deb: $(ls "$tmp/pkg")"
deb=${debs[0]}
echo "verify_deb: built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

info=$(dpkg-deb --info "$deb")
for field in 'Package: progressd' 'Depends: .*adduser' 'Depends: .*libc6' 'Depends: .*libsqlite3' \
    'Architecture: ' 'Section: net'; do
    grep -q "^ $field" <<<"$info" || { echo "$info" >&2; fail "dpkg-deb --info lacks '$field'"; }
done
for script in postinst prerm postrm; do
    grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$script " <<<"$info" ||
        { echo "$info" >&2; fail "the package has no executable $script"; }
done

expected='./lib/systemd/system/progressd.service
./usr/bin/progressctl
./usr/bin/progressd
./usr/share/doc/progressd/copyright
./usr/share/progressd/README.md
./usr/share/progressd/nginx.conf
./usr/share/progressd/progressd.service'
files=$(dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ {print $6}' | LC_ALL=C sort)
[[ $files == "$expected" ]] || fail "unexpected package contents:
$(diff <(echo "$expected") <(echo "$files"))"
dpkg-deb --contents "$deb" | awk '$6 == "./usr/bin/progressd" || $6 == "./usr/bin/progressctl"' |
    grep -vq '^-rwxr-xr-x root/root' && fail "the programs are not root-owned 0755"

# ---- 2: lintian ------------------------------------------------------------------------------
if command -v lintian >/dev/null; then
    # Suppressed, each for a reason of a package built from a work tree rather than a Debian upload:
    #   no-manual-page: the programs' --help is their manual.
    #   no-changelog, debian-changelog-file-missing: there is no Debian changelog to ship.
    # Warnings are printed; errors fail.
    lintian_out=$(lintian --tag-display-limit 0 --suppress-tags \
        no-manual-page,no-changelog,debian-changelog-file-missing "$deb" 2>&1 |
        grep -v 'running with root privileges') || true
    [[ -z $lintian_out ]] || echo "$lintian_out" | sed 's/^/verify_deb: lintian: /'
    grep -q '^E: ' <<<"$lintian_out" && fail "lintian reports errors"
    echo "verify_deb: lintian: no errors"
else
    echo "verify_deb: lintian not installed, not run (scripts/bootstrap --test installs it)"
fi

# ---- 3: unpacked into a scratch root ---------------------------------------------------------
root=$tmp/root
dpkg -x "$deb" "$root"
"$root/usr/bin/progressd" --version >/dev/null || fail "the packaged progressd does not run"
"$root/usr/bin/progressctl" --help >/dev/null || fail "the packaged progressctl does not run"
unit=$root/lib/systemd/system/progressd.service
grep -q '^ExecStart=/usr/bin/progressd ' "$unit" || fail "the packaged unit does not start /usr/bin/progressd"
grep -q '^User=progressd$' "$unit" || fail "the packaged unit does not run as the user progressd"
grep -q '^DynamicUser=' "$unit" && fail "the packaged unit still has DynamicUser="
grep -q 'sqlite:/var/lib/progressd/' "$unit" || fail "the packaged unit keeps its store outside /var/lib/progressd"
grep -q '^ExecStart=/usr/bin/progressd ' "$root/usr/share/progressd/progressd.service" ||
    fail "the unit in /usr/share/progressd does not start /usr/bin/progressd"

if command -v systemd-analyze >/dev/null; then
    # systemd-analyze checks that ExecStart exists; point it at the unpacked program.
    mkdir "$tmp/unit"
    sed "s|^ExecStart=/usr/bin/progressd |ExecStart=$root/usr/bin/progressd |" "$unit" >"$tmp/unit/progressd.service"
    out=$(systemd-analyze verify --man=no "$tmp/unit/progressd.service" 2>&1) || { echo "$out" >&2; fail "systemd-analyze verify fails"; }
    grep -q 'progressd\.service' <<<"$out" && { echo "$out" >&2; fail "systemd-analyze verify complains about the packaged unit"; }
    report=$(systemd-analyze security --offline=yes --threshold=12 "$tmp/unit/progressd.service" 2>&1) ||
        { echo "$report" >&2; fail "the packaged unit's sandbox is weaker than deploy/progressd.service's"; }
    echo "verify_deb: packaged unit: ${report##*$'\n'}"
fi

# ---- 4: the maintainer scripts, with recorders for the commands that change the system ------
control=$tmp/control
dpkg-deb --control "$deb" "$control"
shims=$tmp/shims
mkdir "$shims"
for cmd in adduser deluser install rm systemctl deb-systemd-helper deb-systemd-invoke getent; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$cmd" "$tmp/calls" >"$shims/$cmd"
    chmod +x "$shims/$cmd"
done
printf 'exit 2\n' >>"$shims/getent"  # no such user yet
run() {  # run SCRIPT ARG: the script's calls, one per line
    : >"$tmp/calls"
    PATH=$shims:$PATH sh -e "$control/$1" "$2" || fail "$1 $2 exited with $?"
    cat "$tmp/calls"
}
calls=$(run postinst configure)
grep -q '^adduser --system --group .*progressd$' <<<"$calls" || fail "postinst creates no system user: $calls"
grep -q '^install -d -o progressd -g progressd -m 0700 /var/lib/progressd$' <<<"$calls" ||
    fail "postinst does not create /var/lib/progressd for the user: $calls"
grep -q '^deb-systemd-helper enable progressd.service$' <<<"$calls" || fail "postinst does not enable the service: $calls"
calls=$(run prerm remove)
if [[ -d /run/systemd/system ]]; then
    grep -q '^deb-systemd-invoke stop progressd.service$' <<<"$calls" || fail "prerm does not stop the service: $calls"
fi
calls=$(run postrm remove)
grep -q '^rm ' <<<"$calls" && fail "postrm remove deletes data (only purge may): $calls"
# On purge the user exists: getent must succeed for deluser to run.
printf '#!/bin/sh\necho "getent $*" >>"%s"\necho "progressd:x:999:999::/var/lib/progressd:/usr/sbin/nologin"\n' \
    "$tmp/calls" >"$shims/getent"
printf '#!/bin/sh\necho "deluser $*" >>"%s"\n' "$tmp/calls" >"$shims/deluser"
calls=$(run postrm purge)
grep -q '^rm -rf /var/lib/progressd$' <<<"$calls" || fail "postrm purge keeps /var/lib/progressd: $calls"
grep -q '^deluser --system --quiet progressd$' <<<"$calls" || fail "postrm purge keeps the user: $calls"
grep -q '^deb-systemd-helper purge progressd.service$' <<<"$calls" || fail "postrm purge keeps the enablement: $calls"
echo "verify_deb: maintainer scripts create and remove the user, /var/lib/progressd and the enablement"
