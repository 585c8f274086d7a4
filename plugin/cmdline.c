/* cmdline.c — what the process's own command line says about the export.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "cmdline.h"

#include <string.h>

#ifdef __APPLE__
#include <crt_externs.h>
#endif

char **es_cmdline_argv(void)
{
#if defined(__linux__)
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents("/proc/self/cmdline", &data, &len, NULL))
        return NULL;
    GPtrArray *args = g_ptr_array_new();
    for (gsize i = 0; i < len; i += strlen(data + i) + 1)
        g_ptr_array_add(args, g_strdup(data + i));
    g_ptr_array_add(args, NULL);
    g_free(data);
    return (char **)g_ptr_array_free(args, FALSE);
#elif defined(__APPLE__)
    return g_strdupv(*_NSGetArgv());
#else
    return NULL;
#endif
}

void es_xopts_free(GPtrArray *opts)
{
    if (!opts)
        return;
    for (guint i = 0; i < opts->len; i++) {
        es_xopt *o = opts->pdata[i];
        g_free(o->name);
        g_free(o->value);
        g_free(o);
    }
    g_ptr_array_free(opts, TRUE);
}

/* The argument of option `opt` (e.g. 'X') at argv[*i], in "-X val" or
 * "-Xval" form, advancing *i past it; NULL if argv[*i] is not that option. */
static const char *option_arg(char **argv, int *i, char opt)
{
    const char *a = argv[*i];
    if (a[0] != '-' || a[1] != opt)
        return NULL;
    if (a[2])
        return a + 2;
    if (!argv[*i + 1])
        return NULL;
    return argv[++*i];
}

/* Every loop starts past argv[0], which exists only if argc > 0: a program
 * may be started with no arguments at all (found by fuzz_cmdline). */
GPtrArray *es_cmdline_xopts(char **argv)
{
    GPtrArray *out = g_ptr_array_new();
    for (int i = 1; argv && argv[0] && argv[i]; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        const char *arg = option_arg(argv, &i, 'X');
        if (!arg || !g_str_has_prefix(arg, "es."))
            continue;
        const char *name = arg + 3;
        size_t n = strcspn(name, "=:");
        es_xopt *o = g_new0(es_xopt, 1);
        o->name = g_strndup(name, n);
        o->value = g_strdup(name[n] ? name + n + 1 : "");
        g_ptr_array_add(out, o);
    }
    return out;
}

bool es_cmdline_sets_node(char **argv)
{
    for (int i = 1; argv && argv[0] && argv[i]; i++) {
        const char *arg = NULL;
        if (argv[i][0] == '-' && (argv[i][1] == 'X' || argv[i][1] == 'o'))
            arg = option_arg(argv, &i, argv[i][1]);
        if (arg && strncmp(arg, "es.node", 7) == 0 && (arg[7] == '=' || arg[7] == ':'))
            return true;
    }
    return false;
}

char *es_cmdline_source(char **argv, bool *is_file)
{
    GPtrArray *ifaces = g_ptr_array_new();
    char *file = NULL;
    for (int i = 1; argv && argv[0] && argv[i]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--read-file") == 0 && argv[i + 1]) {
            g_free(file);
            file = g_strdup(argv[++i]);
        } else if (g_str_has_prefix(a, "--read-file=")) {
            g_free(file);
            file = g_strdup(a + 12);
        } else if (strcmp(a, "--interface") == 0 && argv[i + 1]) {
            g_ptr_array_add(ifaces, argv[++i]);
        } else if (g_str_has_prefix(a, "--interface=")) {
            g_ptr_array_add(ifaces, (char *)a + 12);
        } else if (a[0] == '-' && a[1] == 'r') {
            const char *v = option_arg(argv, &i, 'r');
            if (v) {
                g_free(file);
                file = g_strdup(v);
            }
        } else if (a[0] == '-' && a[1] == 'i') {
            const char *v = option_arg(argv, &i, 'i');
            if (v)
                g_ptr_array_add(ifaces, (char *)v);
        } else if (a[0] == '-' && a[1] && strchr("XoYRfwcsaBbCDeEFGHjJKlmMNOTuz", a[1]) && !a[2] &&
                   argv[i + 1]) {
            i++; /* skip the argument of an option that takes one (if any: fuzz_cmdline) */
        }
    }
    char *out = NULL;
    *is_file = file != NULL;
    if (file) {
        out = file;
    } else if (ifaces->len) {
        g_ptr_array_add(ifaces, NULL);
        out = g_strjoinv(",", (char **)ifaces->pdata);
    }
    g_ptr_array_free(ifaces, TRUE);
    return out;
}

bool es_cmdline_quiet(char **argv)
{
    /* tshark's options that take an argument (its getopt string). */
    static const char with_arg[] = "abBcCdeEfFGHijJKMNoOrRsStTuUwWXyYz";
    for (int i = 1; argv && argv[i]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] != '-' || a[1] == '-')
            continue;
        for (const char *c = a + 1; *c; c++) {
            if (*c == 'q' || *c == 'Q')
                return true;
            if (strchr(with_arg, *c)) {
                if (!c[1])
                    i++; /* its argument is the next word */
                break;
            }
        }
    }
    return false;
}

bool es_cmdline_is_gui(char **argv)
{
    if (!argv || !argv[0])
        return false;
    char *base = g_path_get_basename(argv[0]);
    char *lower = g_ascii_strdown(base, -1);
    bool gui = strstr(lower, "wireshark") != NULL;
    g_free(lower);
    g_free(base);
    return gui;
}
