#!/usr/bin/env bash
# Proves, without a device, that the GPU bundle (tools/gpu-bundle.sh) runs on a machine that is
# not this one: a fresh Debian 13 (trixie) minbase chroot (newer glibc and libstdc++, the t64
# library renames; no compiler, no Python, no project packages) holding nothing but a copy of
# the working tree as the device tool sends it, the bundle, and libcublas/libcublasLt copied
# from this machine's CUDA toolkit into /usr/local/cuda/lib64. tools/gpu-check.sh runs there:
# every program must load, the CPU half must pass, and every gpu program must exit 77.
# Run by hand, as root (debootstrap, chroot, mount -t proc), after tools/gpu-bundle.sh; not in CI.
# Usage: tools/gpu-bundle-chroot-check.sh [CHROOT_DIR]   (default /var/tmp/tunebench-chroot-trixie; made once
# and reused; remove it to start afresh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=$(realpath -m "${1:-/var/tmp/tunebench-chroot-trixie}")
mirror=${TB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[[ -f gpu-bundle/bundle.tar.gz ]] || { echo "no gpu-bundle: run tools/gpu-bundle.sh first" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root (debootstrap, chroot)" >&2; exit 2; }

if [[ ! -x "$dir/bin/bash" ]]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  debootstrap --variant=minbase trixie "$dir" "$mirror" >"${TMPDIR:-/tmp}/tunebench-debootstrap.log" 2>&1 || {
    tail -n 20 "${TMPDIR:-/tmp}/tunebench-debootstrap.log" >&2
    exit 1
  }
fi
echo "chroot: $(. "$dir/etc/os-release" && echo "$PRETTY_NAME"), glibc $(chroot "$dir" ldd --version | head -n 1 | awk '{ print $NF }')," \
  "python3 $(chroot "$dir" sh -c 'command -v python3 || echo absent'), g++ $(chroot "$dir" sh -c 'command -v g++ || echo absent')"

# The working tree as the device tool sends it: tracked files and untracked ones git does not
# ignore; then the bundle; then cuBLAS where a CUDA image keeps it.
repo=$dir/repo
rm -rf "$repo" && mkdir -p "$repo"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$repo"
cp -a gpu-bundle "$repo/"
mkdir -p "$dir/usr/local/cuda/lib64"
cp -a /usr/local/cuda/lib64/libcublas.so.* /usr/local/cuda/lib64/libcublasLt.so.* \
  "$dir/usr/local/cuda/lib64/"

mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
trap 'umount "$dir/proc" 2>/dev/null || true' EXIT
rm -rf "$repo/out" && mkdir -p "$repo/out"
set +e
chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root OUT=/repo/out \
  /bin/bash -c 'cd /repo && tools/gpu-check.sh'
status=$?
set -e
echo "gpu-check in the trixie chroot: exit $status (logs in $repo/out)"
# Without a device the check must pass (its gpu steps skipped) and must have skipped, not run,
# every gpu program.
skips=$(grep -c '"status": "SKIP"' "$repo/out/summary.json" || true)
fails=$(grep -c '"status": "FAIL"' "$repo/out/summary.json" || true)
echo "summary.json: $skips skipped, $fails failed"
((status == 0 && fails == 0 && skips > 0))
