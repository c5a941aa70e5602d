# vf-zc: a netdev class that relays between an SR-IOV VF and a VM's
# vhost-user socket.  See Documentation/topics/dpdk/vf-zc.rst.
#
# Included by the top-level Makefile.am after lib/automake.mk.

# The parts that need neither DPDK nor a running switch, and are unit tested
# through ovstest: option parsing, guest memory, the virtqueue engine.
lib_libopenvswitch_la_SOURCES += \
	lib/netdev-vf-zc.h \
	lib/vf-zc-dirty-log.h \
	lib/vf-zc-guest-mem.c \
	lib/vf-zc-guest-mem.h \
	lib/vf-zc-options.c \
	lib/vf-zc-options.h \
	lib/vf-zc-virtio-net.c \
	lib/vf-zc-virtio-net.h \
	lib/vf-zc-vring-dump.c \
	lib/vf-zc-vring.c \
	lib/vf-zc-vring.h

if DPDK_NETDEV
lib_libopenvswitch_la_SOURCES += \
	lib/netdev-vf-zc.c \
	lib/netdev-vf-zc-private.h \
	lib/vf-zc-events.c \
	lib/vf-zc-events.h \
	lib/vf-zc-mempool.c \
	lib/vf-zc-mempool.h \
	lib/vf-zc-relay.c \
	lib/vf-zc-relay.h \
	lib/vf-zc-rxpool.c \
	lib/vf-zc-rxpool.h \
	lib/vf-zc-spinlock.h \
	lib/vf-zc-status.c \
	lib/vf-zc-txpool.c \
	lib/vf-zc-txpool.h \
	lib/vf-zc-unixctl.c \
	lib/vf-zc-vf.c \
	lib/vf-zc-vhost.c \
	lib/vf-zc-zero-copy.c
endif

# ovs-vswitchd(8) includes the vf-zc/ commands' page.
MAN_FRAGMENTS += lib/netdev-vf-zc-unixctl.man
