# vf-zc: a netdev class that relays between an SR-IOV VF and a VM's
# vhost-user socket.  See Documentation/topics/dpdk/vf-zc.rst.
#
# Included by the top-level Makefile.am after lib/automake.mk.

lib_libopenvswitch_la_SOURCES += \
	lib/netdev-vf-zc.h \
	lib/vf-zc-options.c \
	lib/vf-zc-options.h

if DPDK_NETDEV
lib_libopenvswitch_la_SOURCES += \
	lib/netdev-vf-zc.c
endif
