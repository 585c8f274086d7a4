/* dfregex.h — a display filter's regular expression (PCRE2, as `matches`
 * uses it) as a Lucene regular expression with the same matches.
 *
 * PCRE searches anywhere in the value; Lucene must match all of it, so an
 * expression not anchored with ^ gets ".*" in front and one without $ at
 * the end gets ".*" behind (`$` itself becomes an optional final newline,
 * as in PCRE).  `.` becomes "any character but newline", \d \w \s and
 * their negations become classes, (?: and named groups plain groups, lazy
 * quantifiers greedy ones (a match exists for one iff for the other), and
 * characters special only to Lucene (" # @ & < > ~) are escaped.  A leading
 * (?i) or (?-i) sets the case flag.  Anything else with a meaning Lucene
 * lacks (look-around, back-references, \b, possessive quantifiers, anchors
 * inside, other flags, Unicode properties) is refused.  Plain C + glib.
 *
 *   bool caseless = true;
 *   char *lucene = df_regex_to_lucene("^GET /a+", &caseless, &why);   // "(GET /a+).*"; g_free()
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ESD_DFREGEX_H
#define ESD_DFREGEX_H

#include <stdbool.h>

#include <glib.h>

/* NULL with *why (g_free) when pcre has no exact Lucene equivalent. */
char *df_regex_to_lucene(const char *pcre, bool *caseless, char **why);

/* Appends s matching itself literally in a Lucene expression. */
void df_regex_append_literal(GString *out, const char *s);

#endif
