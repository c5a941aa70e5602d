# Copyright (c) 2026 The vf-zc authors.  Apache License, Version 2.0.
#
# Shell functions shared by vf-zc-demo and vf-zc-test: everything a fresh
# Debian 12 machine needs before vf-zc can be built and run.  Sourced, not
# run; the caller has 'set -e' and is in the top of a vf-zc checkout.

# Debian packages that building, running and testing vf-zc needs.
VF_ZC_PACKAGES="
    autoconf automake libtool make gcc pkg-config patch python3
    openvswitch-source libdpdk-dev dpdk-dev dpdk
    libssl-dev libcap-ng-dev libnuma-dev libpcap-dev
    python3-sphinx clang libclang-rt-14-dev
    iproute2 iputils-ping kmod procps ethtool util-linux netcat-openbsd
"

# What only the tests need: the Linux guests of tests/system-vf-zc-qemu.at
# (QEMU, the kernel they boot, and busybox for their root).
VF_ZC_TEST_PACKAGES="qemu-system-x86 linux-image-amd64 busybox-static"

# 2 MB hugepages to reserve (4 GB): ovs-vswitchd, two testpmd guests, and
# the memory of a guest killed by a test that the next one reclaims.
VF_ZC_HUGEPAGES=${VF_ZC_HUGEPAGES:-2048}

vf_zc_say () {
    printf '\n==> %s\n' "$*"
}

vf_zc_require_root () {
    if [ "$(id -u)" != 0 ]; then
        echo "$0: must run as root (DPDK needs hugepages, tests need" \
             "network namespaces)" >&2
        exit 1
    fi
}

# Installs those of VF_ZC_PACKAGES, and of the packages given as arguments,
# that are missing, with apt-get.
vf_zc_install_deps () {
    local missing=
    local pkg

    for pkg in $VF_ZC_PACKAGES "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null \
                | grep -q 'install ok installed'; then
            missing="$missing $pkg"
        fi
    done
    if [ -n "$missing" ]; then
        vf_zc_say "Installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends $missing
    fi
}

# Reserves VF_ZC_HUGEPAGES 2 MB hugepages (never fewer than already are) and
# mounts hugetlbfs if nothing has.
vf_zc_setup_hugepages () {
    local sysfs=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
    local have

    have=$(cat $sysfs)
    if [ "$have" -lt "$VF_ZC_HUGEPAGES" ]; then
        echo "$VF_ZC_HUGEPAGES" > $sysfs
        have=$(cat $sysfs)
        if [ "$have" -lt "$VF_ZC_HUGEPAGES" ]; then
            echo "$0: only $have of $VF_ZC_HUGEPAGES 2 MB hugepages could" \
                 "be reserved" >&2
        fi
    fi
    if ! grep -q '^[^ ]* [^ ]* hugetlbfs ' /proc/mounts; then
        mkdir -p /dev/hugepages
        mount -t hugetlbfs -o pagesize=2M none /dev/hugepages
    fi
    vf_zc_say "Hugepages: $(grep -E '^HugePages_(Total|Free)' /proc/meminfo \
                            | tr -s ' ' | tr '\n' ' ')"
}

# For each test that failed (autotest keeps the directories of failed tests
# only), the last check it made and what that printed, and the last warnings
# and errors of its ovs-vswitchd: so that the end of a CI log says why.
vf_zc_failure_excerpts () {
    local log dir

    for dir in ovs/tests/*.dir/[0-9]* ovs-sanitized/tests/*.dir/[0-9]*; do
        log=$dir/$(basename "$(dirname "$dir")" .dir).log
        [ -f "$log" ] || continue
        echo
        echo "--- $dir: its last check"
        awk '/^\.\/[^ ]*\.at:[0-9]+: / { start = NR }
             { line[NR] = $0 }
             END { for (i = start; i <= NR && i < start + 20; i++) {
                       if (i > start && line[i] ~ /^[a-z-]+\.log:$/)
                           break
                       print line[i]
                   } }' "$log"
        if [ -f "$dir/ovs-vswitchd.log" ]; then
            echo "--- $dir: ovs-vswitchd's last warnings"
            grep -E '\|(WARN|ERR|EMER)\|' "$dir/ovs-vswitchd.log" | tail -n 8
        fi
    done
}

# Builds vf-zc (and the patched Open vSwitch under ovs/) in the checkout.
vf_zc_build () {
    vf_zc_say "Building vf-zc"
    if [ ! -x configure ]; then
        ./boot.sh
    fi
    if [ ! -f Makefile ]; then
        ./configure
    fi
    make -j"$(nproc)"
}
