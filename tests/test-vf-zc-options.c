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

/* ovstest test-vf-zc-options parse [KEY=VALUE]...
 *     Parses the KEY=VALUE pairs as a vf-zc port's options and prints the
 *     parsed options, or the error message.
 *
 * ovstest test-vf-zc-options port-name NAME
 *     Prints whether NAME can name a vf-zc port's server socket.
 *
 * ovstest test-vf-zc-options socket-path LENGTH
 *     Prints whether a socket path of LENGTH bytes is acceptable. */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <string.h>

#include "ovstest.h"
#include "smap.h"
#include "util.h"
#include "vf-zc-options.h"

static void
print_options(const struct vf_zc_options *opts)
{
    printf("vf-devargs=%s vhost-server-path=%s n_rxq=%d zero-copy=%s "
           "bypass=%s\n",
           opts->vf_devargs ? opts->vf_devargs : "(none)",
           opts->vhost_server_path ? opts->vhost_server_path : "(none)",
           opts->n_rxq, opts->zero_copy ? "true" : "false",
           opts->bypass ? "true" : "false");
}

static void
test_parse(int argc, char *argv[])
{
    struct vf_zc_options opts, copy;
    struct smap args = SMAP_INITIALIZER(&args);
    char *error;

    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');

        if (!eq) {
            ovs_fatal(0, "%s: expected KEY=VALUE", argv[i]);
        }
        smap_add_nocopy(&args, xmemdup0(argv[i], eq - argv[i]),
                        xstrdup(eq + 1));
    }

    vf_zc_options_init(&opts);
    error = vf_zc_options_parse(&args, &opts);
    if (error) {
        printf("error: %s\n", error);
        free(error);
    } else {
        print_options(&opts);

        /* A clone compares equal, and a change of any member does not. */
        vf_zc_options_clone(&copy, &opts);
        ovs_assert(vf_zc_options_equal(&opts, &copy));
        copy.n_rxq++;
        ovs_assert(!vf_zc_options_equal(&opts, &copy));
        copy.n_rxq--;
        copy.bypass = !copy.bypass;
        ovs_assert(!vf_zc_options_equal(&opts, &copy));
        copy.bypass = !copy.bypass;
        free(copy.vhost_server_path);
        copy.vhost_server_path = copy.vhost_server_path ? NULL : xstrdup("x");
        ovs_assert(!vf_zc_options_equal(&opts, &copy));
        vf_zc_options_destroy(&copy);
    }
    vf_zc_options_destroy(&opts);
    smap_destroy(&args);
}

static void
test_port_name(const char *name)
{
    char *error = vf_zc_check_port_name(name);

    if (error) {
        printf("error: %s\n", error);
        free(error);
    } else {
        printf("ok\n");
    }
}

static void
test_socket_path(const char *length_s)
{
    int length = atoi(length_s);
    char *path = xmalloc(length + 1);
    char *error;

    memset(path, 'p', length);
    path[0] = '/';
    path[length] = '\0';
    error = vf_zc_check_socket_path(path);
    if (error) {
        /* The path itself is long and dull: print what follows it. */
        printf("error: %s\n", error + strlen("vhost-user socket path ")
                                + length);
        free(error);
    } else {
        printf("ok\n");
    }
    free(path);
}

static void
test_vf_zc_options_main(int argc, char *argv[])
{
    if (argc >= 2 && !strcmp(argv[1], "parse")) {
        test_parse(argc - 2, argv + 2);
    } else if (argc == 3 && !strcmp(argv[1], "port-name")) {
        test_port_name(argv[2]);
    } else if (argc == 3 && !strcmp(argv[1], "socket-path")) {
        test_socket_path(argv[2]);
    } else {
        ovs_fatal(0, "usage: %s parse [KEY=VALUE]... | port-name NAME | "
                  "socket-path LENGTH", argv[0]);
    }
}

OVSTEST_REGISTER("test-vf-zc-options", test_vf_zc_options_main);
