# vf-zc's tests.  Included by the top-level Makefile.am after
# tests/automake.mk.
#
# Unit tests (no DPDK, no root) join the main testsuite; system tests, which
# need root and hugepages, join the DPDK system testsuite ('make check-dpdk').
# Both carry the keyword 'vf-zc'.

TESTSUITE_AT += tests/vf-zc.at

# Builds the QEMU guests' root at test time (tests/system-vf-zc-qemu.at).
EXTRA_DIST += tests/vf-zc-guest-initramfs

SYSTEM_DPDK_TESTSUITE_AT += \
	tests/system-vf-zc-macros.at \
	tests/system-vf-zc.at \
	tests/system-vf-zc-qemu.at \
	tests/system-vf-zc-migration.at

tests_ovstest_SOURCES += \
	tests/test-vf-zc-attack.c \
	tests/test-vf-zc-frontend.c \
	tests/test-vf-zc-log-attack.c \
	tests/test-vf-zc-options.c \
	tests/test-vf-zc-vring.c \
	tests/test-vf-zc-work-bound.c \
	tests/vf-zc-hostile-ring.c \
	tests/vf-zc-hostile-ring.h \
	tests/vf-zc-sim-guest.c \
	tests/vf-zc-sim-guest.h \
	tests/vf-zc-vhost-client.c \
	tests/vf-zc-vhost-client.h

# The zero-copy pool works on DPDK's mbufs, but needs no EAL.
if DPDK_NETDEV
tests_ovstest_SOURCES += \
	tests/test-vf-zc-mempool.c \
	tests/test-vf-zc-rxpool.c \
	tests/test-vf-zc-txpool.c
endif
