#!/usr/bin/env bash
# Prepares tools/gpu-check.sh's offline install on a machine with a network: downloads the
# Debian packages tunebench builds with and the closure of their dependencies (as apt resolves
# it for an empty system, so each alternative is taken once) into build-gpu-debs/, which git
# ignores, for a session to carry to a device machine that has no network. The base system
# every image with a C++ compiler has (libc, gcc's runtime, perl, crypto and systemd libraries)
# is left out, which keeps the folder at about 45 MB; gpu-check.sh installs only the carried
# packages the device image lacks.
# Usage: tools/gpu-check-prepare.sh [DIR]   (as root, or with sudo for apt's cache)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(realpath -m "${1:-build-gpu-debs}")
# The build's packages, as tools/install-deps.sh lists them (one list for every machine), and
# ninja; the compiler itself comes with the image.
mapfile -t packages < <(tools/install-deps.sh --list | grep -vx build-essential)
packages+=(ninja-build)
base='^(libc6|libc6-dev|libc-dev-bin|linux-libc-dev|libcrypt1|libcrypt-dev|libnsl-dev|rpcsvc-proto|libstdc\+\+6|libgcc-s1|gcc-[0-9]+-base|libgomp1|perl|perl-base|perl-modules-.*|libperl.*|lib.*-perl|libdb5\.3|libgdbm.*|dpkg|tar|usrmerge|base-files|debconf|init-system-helpers|procps|libproc2-0|zlib1g|libbz2-1\.0|liblzma5|libzstd1|liblz4-1|libxxhash0|libssl3|libsystemd0|libudev1|libselinux1|libsemanage.*|libsepol2|libaudit.*|libpam.*|libcap2|libcap-ng0|libacl1|libattr1|libtinfo6|libncursesw6|libgnutls30|libgmp10|libunistring2|libp11-kit0|libtasn1-6|libnettle8|libhogweed6|libidn2-0|libgcrypt20|libgpg-error0|libgssapi-krb5-2|libkrb5-3|libk5crypto3|libkrb5support0|libcom-err2|libkeyutils1|libffi8|libmd0|libbsd0|libnsl2|libtirpc.*|libuuid1|libblkid1|libmount1|libsmartcols1|libpcre2-8-0)$'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/archives/partial" "$dir"
: >"$work/status"
apt-get install --download-only -y -qq --no-install-recommends \
  -o Dir::State::status="$work/status" -o Dir::Cache::archives="$work/archives" \
  -o Debug::NoLocking=1 "${packages[@]}" >/dev/null
for f in "$work"/archives/*.deb; do
  p=$(dpkg-deb -f "$f" Package)
  [[ $p =~ $base ]] || cp "$f" "$dir/"
done
printf '%s packages, %s in %s\n' "$(ls -1 "$dir"/*.deb | wc -l)" "$(du -sh "$dir" | cut -f1)" "$dir"
