#!/usr/bin/env bash
# Installs everything Tandem needs to build, run and be tested on Debian 12, then builds it.
# Used by the README's first command and by CI. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  libpmem-dev             # the PMEM metadata addon (libpmem)
  liburing-dev            # the backing-disk I/O addon (io_uring)
  fio libnbd-bin nbdkit qemu-utils fuse3 python3-libnbd   # real NBD clients and baselines
  e2fsprogs util-linux    # mkfs.ext4, e2fsck, losetup for filesystem tests
  pacemaker pacemaker-cli-utils corosync resource-agents pcs crmsh   # real cluster tools
  booth booth-pacemaker   # booth (boothd) and ocf:pacemaker:booth-site: migrated global clusters
  kmod                    # modprobe: ocf:heartbeat:Filesystem will not run without it (file-system failover tests)
  libxml2-utils           # xmllint: ocf-tester and the agent meta-data schema checks
  iproute2 nftables       # network namespaces, link cuts, shaping
  openssl                 # test certificates for TLS (openssl req, x509)
  dpkg-dev systemd        # the .deb: dpkg-shlibdeps for its Depends, systemd-analyze verify for the unit
)

if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    # pcsd and corosync must not start on their own: tests start the cluster they need.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  fi
else
  echo "not root: skipping Debian packages (${DEBIAN_PACKAGES[*]})" >&2
fi

echo "installing npm packages"
npm ci --no-fund --no-audit --loglevel=error
echo "building the native addon and the TypeScript"
npm run --silent build
