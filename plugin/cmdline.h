/* cmdline.h — what the process's own command line says about the export.
 *
 * Wireshark splits each -X argument at its first ':' and offers no way to
 * list the keys it stored, so `-X es.node=host:9200` reaches epan as key
 * "es.node=host" and value "9200".  To honour that spelling the plugin reads
 * its process's argument list (Linux: /proc/self/cmdline; macOS:
 * _NSGetArgv) and parses -X itself, splitting at the first '=' or ':'.
 * Plain C + glib.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_CMDLINE_H
#define ES_CMDLINE_H

#include <stdbool.h>

#include <glib.h>

/* The process's arguments, NULL-terminated (free with g_strfreev), or NULL
 * where the platform does not expose them. */
char **es_cmdline_argv(void);

typedef struct es_xopt {
    char *name; /* setting name without "es." */
    char *value;
} es_xopt;

/* The -X es.NAME=VALUE and -X es.NAME:VALUE options in argv, in order, as a
 * GPtrArray of es_xopt (free with es_xopts_free). */
GPtrArray *es_cmdline_xopts(char **argv);
void es_xopts_free(GPtrArray *opts);

/* True if argv sets es.node with -X or -o. */
bool es_cmdline_sets_node(char **argv);

/* The capture source named in argv: the -r file (*is_file true), or the
 * -i interfaces joined with ','; NULL if neither. */
char *es_cmdline_source(char **argv, bool *is_file);

/* True if argv has tshark's -q or -Q (no packet lines on standard
 * output), alone or among other single-letter options ("-nq"). */
bool es_cmdline_quiet(char **argv);

/* True when the program is the Wireshark GUI rather than tshark. */
bool es_cmdline_is_gui(char **argv);

#endif
