/* indexname.c — index names from es.index patterns (indexname.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "indexname.h"

#include <string.h>
#include <time.h>

#include "settings.h"

bool es_index_format(const char *pattern, gint64 secs, char *out, size_t outlen)
{
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return false;
    size_t n = strftime(out, outlen, pattern, &tm);
    if (n == 0 || n > 255)
        return false;
    if (out[0] == '_' || out[0] == '-' || out[0] == '+' ||
        strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        return false;
    for (const char *p = out; *p; p++) {
        if (g_ascii_isupper(*p) || strchr("\\/*?\"<>| ,#:", *p))
            return false;
    }
    return true;
}

bool es_index_names_check(const char *index, const char *data_stream, GError **err)
{
    char sample[512];
    if (*data_stream && (strchr(data_stream, '%') ||
                         !es_index_format(data_stream, 0, sample, sizeof sample))) {
        g_set_error(err, ES_SETTINGS_ERROR, 1,
                    "es.data_stream: \"%s\" is not a valid data stream name; accepted: lowercase text "
                    "without \\ / * ? \" < > | space , # : %%, not starting with _ - +",
                    data_stream);
        return false;
    }
    if (!es_index_format(index, 1700000000, sample, sizeof sample)) {
        g_set_error(err, ES_SETTINGS_ERROR, 1,
                    "es.index: \"%s\" does not give a valid index name; accepted: lowercase text "
                    "without \\ / * ? \" < > | space , # :, not starting with _ - +, with optional "
                    "strftime conversions such as %%Y.%%m.%%d",
                    index);
        return false;
    }
    return true;
}
