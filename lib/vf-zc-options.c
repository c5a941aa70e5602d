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

#include <config.h>
#include "vf-zc-options.h"

#include <ctype.h>
#include <string.h>
#include <sys/un.h>

#include "smap.h"
#include "util.h"

void
vf_zc_options_init(struct vf_zc_options *opts)
{
    opts->vf_devargs = NULL;
    opts->vhost_server_path = NULL;
    opts->n_rxq = 1;
    opts->zero_copy = true;
    opts->bypass = true;
}

void
vf_zc_options_destroy(struct vf_zc_options *opts)
{
    free(opts->vf_devargs);
    free(opts->vhost_server_path);
    vf_zc_options_init(opts);
}

void
vf_zc_options_clone(struct vf_zc_options *dst,
                    const struct vf_zc_options *src)
{
    *dst = *src;
    dst->vf_devargs = nullable_xstrdup(src->vf_devargs);
    dst->vhost_server_path = nullable_xstrdup(src->vhost_server_path);
}

bool
vf_zc_options_equal(const struct vf_zc_options *a,
                    const struct vf_zc_options *b)
{
    return (nullable_string_is_equal(a->vf_devargs, b->vf_devargs)
            && nullable_string_is_equal(a->vhost_server_path,
                                        b->vhost_server_path)
            && a->n_rxq == b->n_rxq
            && a->zero_copy == b->zero_copy
            && a->bypass == b->bypass);
}

/* Parses the boolean option 'key' of 'args' into '*value', which keeps its
 * default when 'key' is absent.  Returns an error message for anything other
 * than "true" or "false", since a misspelled boolean silently taken as false
 * would switch off what the user meant to switch on. */
static char *
parse_bool(const struct smap *args, const char *key, bool *value)
{
    const char *s = smap_get(args, key);

    if (!s) {
        return NULL;
    } else if (!strcmp(s, "true")) {
        *value = true;
    } else if (!strcmp(s, "false")) {
        *value = false;
    } else {
        return xasprintf("options:%s must be true or false, not \"%s\"",
                         key, s);
    }
    return NULL;
}

/* Parses 'args' into 'opts' (which the caller has initialized; absent options
 * keep the values in 'opts').  On success returns NULL.  On failure returns a
 * malloc'ed message that names the option and what is wrong with it, for the
 * Interface's error column; 'opts' may then be partly updated and must still
 * be destroyed by the caller. */
char *
vf_zc_options_parse(const struct smap *args, struct vf_zc_options *opts)
{
    const char *devargs = smap_get(args, "vf-devargs");
    const char *path = smap_get(args, "vhost-server-path");
    const char *n_rxq = smap_get(args, "n_rxq");
    char *error;

    if (!devargs || !devargs[0]) {
        return xstrdup("options:vf-devargs is required: the VF's PCI address "
                       "or a DPDK virtual device, e.g. 0000:03:02.0 or "
                       "net_tap0,iface=vfz0");
    }
    for (const char *p = devargs; *p; p++) {
        if (isspace((unsigned char) *p) || !isprint((unsigned char) *p)) {
            return xasprintf("options:vf-devargs \"%s\" is malformed: it "
                             "contains white space or an unprintable "
                             "character", devargs);
        }
    }
    if (devargs[0] == ',' || devargs[strlen(devargs) - 1] == ','
        || strstr(devargs, ",,")) {
        return xasprintf("options:vf-devargs \"%s\" is malformed: empty "
                         "device name or argument", devargs);
    }
    free(opts->vf_devargs);
    opts->vf_devargs = xstrdup(devargs);

    free(opts->vhost_server_path);
    opts->vhost_server_path = NULL;
    if (path) {
        if (!path[0]) {
            return xstrdup("options:vhost-server-path is empty");
        }
        opts->vhost_server_path = xstrdup(path);
    }

    if (n_rxq) {
        int n;

        if (!str_to_int(n_rxq, 10, &n)
            || n < 1 || n > VF_ZC_MAX_QUEUE_PAIRS) {
            return xasprintf("options:n_rxq must be a number of queue pairs "
                             "from 1 to %d, not \"%s\"",
                             VF_ZC_MAX_QUEUE_PAIRS, n_rxq);
        }
        opts->n_rxq = n;
    }

    error = parse_bool(args, "zero-copy", &opts->zero_copy);
    if (!error) {
        error = parse_bool(args, "bypass", &opts->bypass);
    }
    return error;
}

/* Checks that 'name' can name a vhost-user server socket in the vhost socket
 * directory, as dpdkvhostuser ports do.  Returns NULL if it can, otherwise a
 * malloc'ed message. */
char *
vf_zc_check_port_name(const char *name)
{
    if (!name[0] || strchr(name, '/') || strchr(name, '\\')
        || !strcmp(name, ".") || !strcmp(name, "..")) {
        return xasprintf("\"%s\" cannot name a vhost-user socket: a vf-zc "
                         "port in server mode needs a name with no '/' or "
                         "'\\' (or give options:vhost-server-path)", name);
    }
    return NULL;
}

/* Checks that a Unix domain socket can be bound or connected at 'path'.  The
 * vhost library would silently truncate a longer path and serve a socket at
 * the wrong place.  Returns NULL if it can, otherwise a malloc'ed message. */
char *
vf_zc_check_socket_path(const char *path)
{
    size_t max = sizeof ((struct sockaddr_un *) NULL)->sun_path - 1;

    if (strlen(path) > max) {
        return xasprintf("vhost-user socket path %s is too long (%"PRIuSIZE
                         " bytes, at most %"PRIuSIZE")", path, strlen(path),
                         max);
    }
    return NULL;
}
