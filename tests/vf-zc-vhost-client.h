/*
 * Copyright (c) 2026 The vf-zc authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef VF_ZC_VHOST_CLIENT_H
#define VF_ZC_VHOST_CLIENT_H 1

/* The frontend side of vhost-user (QEMU's docs/interop/vhost-user.rst), as
 * little of it as vf-zc's own test frontends need: they connect to a vf-zc
 * port's socket as a VM's virtio-net device would, with guest memory of
 * their own (one memfd region, at guest-physical address 0 unless they say
 * otherwise), and set rings up in it.  Every failure is fatal: these are
 * test programs. */

#include <stddef.h>
#include <stdint.h>

enum {
    VHOST_USER_GET_FEATURES = 1,
    VHOST_USER_SET_FEATURES = 2,
    VHOST_USER_SET_OWNER = 3,
    VHOST_USER_SET_MEM_TABLE = 5,
    VHOST_USER_SET_LOG_BASE = 6,
    VHOST_USER_SET_VRING_NUM = 8,
    VHOST_USER_SET_VRING_ADDR = 9,
    VHOST_USER_SET_VRING_BASE = 10,
    VHOST_USER_SET_VRING_KICK = 12,
    VHOST_USER_SET_VRING_CALL = 13,
    VHOST_USER_GET_PROTOCOL_FEATURES = 15,
    VHOST_USER_SET_PROTOCOL_FEATURES = 16,
    VHOST_USER_SET_VRING_ENABLE = 18,
};

/* Feature bits the frontends use. */
#define VHOST_CLIENT_F_MRG_RXBUF 15
#define VHOST_CLIENT_F_MQ 22
#define VHOST_CLIENT_F_LOG_ALL 26
#define VHOST_CLIENT_F_INDIRECT_DESC 28
#define VHOST_CLIENT_F_PROTOCOL_FEATURES 30
#define VHOST_CLIENT_F_VERSION_1 32

/* Protocol feature bits. */
#define VHOST_CLIENT_PROTOCOL_F_LOG_SHMFD 1
#define VHOST_CLIENT_PROTOCOL_F_REPLY_ACK 3

/* A request's flag: the backend answers with a 64-bit value, 0 for success
 * (REPLY_ACK). */
#define VHOST_CLIENT_NEED_REPLY 8

/* What a backend answered a request with (vhost_client_wait_answer()). */
enum vhost_client_answer {
    VHOST_CLIENT_NO_ANSWER,     /* Nothing within the time given. */
    VHOST_CLIENT_CLOSED,        /* It closed the connection. */
    VHOST_CLIENT_REPLY,         /* A reply without payload. */
    VHOST_CLIENT_REPLY_U64,     /* A reply with a 64-bit value. */
};

int vhost_client_connect(const char *path);
uint64_t vhost_client_get_u64(int sock, uint32_t request);
void vhost_client_send(int sock, uint32_t request, const void *payload,
                       uint32_t size, int fd);
void vhost_client_send_flags(int sock, uint32_t request, uint32_t flags,
                             const void *payload, uint32_t size, int fd);
enum vhost_client_answer vhost_client_wait_answer(int sock, uint32_t request,
                                                  int timeout_ms,
                                                  uint64_t *value);
void vhost_client_send_u64(int sock, uint32_t request, uint64_t value,
                           int fd);
void vhost_client_send_state(int sock, uint32_t request, uint32_t index,
                             uint32_t num);

void *vhost_client_alloc_mem(const char *name, size_t size, int *memfdp);
uint64_t vhost_client_negotiate(int sock, uint64_t wanted);
uint64_t vhost_client_negotiate_protocol(int sock, uint64_t wanted,
                                         uint64_t wanted_protocol,
                                         uint64_t *protocolp);
void vhost_client_set_mem(int sock, void *mem, uint64_t size, int memfd);
void vhost_client_set_mem_at(int sock, void *mem, uint64_t size, int memfd,
                             uint64_t gpa);
void vhost_client_set_vring(int sock, uint32_t index, uint32_t size,
                            const void *desc, const void *avail,
                            const void *used);
void vhost_client_set_vring_addr(int sock, uint32_t flags, uint32_t index,
                                 const void *desc, const void *avail,
                                 const void *used, uint64_t log_gpa);

#endif /* vf-zc-vhost-client.h */
