#!/usr/bin/env bash
# Builds the Debian package from the single binary (packaging/build-binary.mjs) with dpkg-deb.
#
#   packaging/build-deb.sh BINARY_DIR OUT_DIR      BINARY_DIR holds tandem, tandem_pmem.node and tandem_uring.node
#
# Layout: the binary, its addons and the fence handlers live together in /usr/lib/tandem (an addon
# is found beside the binary's real path, the handlers in agents/ beside it); /usr/bin/tandem and
# /usr/sbin/tandemd are links to it. Prints the path of the .deb.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
bin_dir="$(cd "${1:?usage: build-deb.sh BINARY_DIR OUT_DIR}" && pwd)"
out_dir="${2:?usage: build-deb.sh BINARY_DIR OUT_DIR}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
for f in tandem tandem_pmem.node tandem_uring.node; do
	[ -f "$bin_dir/$f" ] || { echo "build-deb.sh: $bin_dir/$f is missing: run packaging/build-binary.mjs first" >&2; exit 1; }
done

version="$(node -p "require('$repo/package.json').version")"
arch="$(dpkg --print-architecture)"
stage="$(mktemp -d "$out_dir/.stage.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"   # mktemp made it 0700: it becomes the mode of / in the archive
lib="$stage/usr/lib/tandem"

install -D -m 0755 "$bin_dir/tandem" "$lib/tandem"
install -D -m 0644 "$bin_dir/tandem_pmem.node" "$lib/tandem_pmem.node"
install -D -m 0644 "$bin_dir/tandem_uring.node" "$lib/tandem_uring.node"
install -D -m 0755 "$repo/agents/tandem-fence-peer" "$lib/agents/tandem-fence-peer"
install -D -m 0755 "$repo/agents/tandem-unfence-peer" "$lib/agents/tandem-unfence-peer"
install -D -m 0755 "$repo/agents/tandem-primary-lost" "$lib/agents/tandem-primary-lost"
install -D -m 0755 "$repo/agents/tandem-quorum-lost" "$lib/agents/tandem-quorum-lost"
install -D -m 0755 "$here/systemd/tandemd-wait-ready" "$lib/tandemd-wait-ready"
install -d -m 0755 "$stage/usr/bin" "$stage/usr/sbin"
ln -s ../lib/tandem/tandem "$stage/usr/bin/tandem"
ln -s ../lib/tandem/tandem "$stage/usr/sbin/tandemd"
install -D -m 0755 "$repo/ocf/replica" "$stage/usr/lib/ocf/resource.d/tandem/replica"
install -D -m 0644 "$here/systemd/tandemd.service" "$stage/lib/systemd/system/tandemd.service"
install -d -m 0700 "$stage/etc/tandem"
install -D -m 0644 "$here/deb/default-tandemd" "$stage/etc/default/tandemd"
install -D -m 0644 "$here/deb/r0.ini" "$stage/usr/share/doc/tandem/examples/r0.ini"
install -d -m 0755 "$stage/usr/share/doc/tandem"
cat >"$stage/usr/share/doc/tandem/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tandem

Files: *
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
 The binary embeds Node.js $(node --version) (MIT) and the npm modules Tandem depends on.
EOF
chmod 0644 "$stage/usr/share/doc/tandem/copyright"

# Depends from the ELF files' symbol versions (node, libpmem, liburing), as debhelper's dh_shlibdeps does.
shlib_work="$stage.shlibs"
mkdir -p "$shlib_work/debian"
printf 'Source: tandem\n\nPackage: tandem\nArchitecture: any\n' >"$shlib_work/debian/control"
depends="$(cd "$shlib_work" && dpkg-shlibdeps -O "$lib/tandem" "$lib/tandem_pmem.node" "$lib/tandem_uring.node" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
rm -rf "$shlib_work"
[ -n "$depends" ] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d -m 0755 "$stage/DEBIAN"
cat >"$stage/DEBIAN/control" <<EOF
Package: tandem
Version: $version
Architecture: $arch
Maintainer: Tandem developers <tandem@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $depends
Recommends: pacemaker, pacemaker-cli-utils, corosync, resource-agents
Suggests: pcs | crmsh, nbd-client | nbdfuse
Section: admin
Priority: optional
Description: replicated block storage for Linux HA clusters
 Tandem replicates block devices between the nodes of a Pacemaker cluster with
 DRBD 9 semantics: protocols A/B/C, activity log and bitmaps (on PMEM or a
 block device), resync, split-brain detection and resource-level fencing.
 Volumes are exported over NBD.
 .
 This package holds the tandem CLI and the tandemd daemon (one self-contained
 executable with its libpmem and io_uring addons), the OCF resource agent
 ocf:tandem:replica, the fence-peer handlers and the systemd unit
 tandemd.service.
EOF
echo /etc/default/tandemd >"$stage/DEBIAN/conffiles"
install -m 0755 "$here/deb/postinst" "$here/deb/prerm" "$here/deb/postrm" "$stage/DEBIAN/"

deb="$out_dir/tandem_${version}_${arch}.deb"
# zstd -1: the 100 MiB binary compresses in well under a second (xz -6 takes a minute).
dpkg-deb --root-owner-group -Zzstd -z1 --build "$stage" "$deb" >/dev/null
echo "$deb"
