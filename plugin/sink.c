/* sink.c — es.node parsed (sink.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "sink.h"

#include <string.h>

#include "secrets.h"
#include "settings.h"

void es_sink_clear(es_sink *s)
{
    g_strfreev(s->urls);
    g_free(s->path);
    memset(s, 0, sizeof *s);
}

/* "cloud:ID", but not a host named cloud with a port. */
static bool is_cloud_item(const char *item)
{
    return g_str_has_prefix(item, "cloud:") && item[6 + strspn(item + 6, "0123456789")] != '\0';
}

static char *normalize_url(const char *item, GError **err)
{
    if (is_cloud_item(item))
        return es_cloud_id_url(item + 6, err);
    if (es_url_has_userinfo(item)) {
        /* Quote only what follows the credentials. */
        g_set_error(err, ES_SETTINGS_ERROR, 1,
                    "es.node: \"...@%s\" has credentials in it, which would show in messages and file "
                    "names; set es.user and the password (ES_PASSWORD or es.secrets_file) or es.api_key",
                    strrchr(item, '@') + 1);
        return NULL;
    }
    char *url;
    if (strstr(item, "://"))
        url = g_strdup(item);
    else if (strchr(item, ':') && item[0] != '[')
        url = g_strdup_printf("http://%s", item);
    else if (item[0] == '[' && strstr(item, "]:"))
        url = g_strdup_printf("http://%s", item);
    else
        url = g_strdup_printf("http://%s:9200", item);

    if (!g_str_has_prefix(url, "http://") && !g_str_has_prefix(url, "https://")) {
        g_set_error(err, ES_SETTINGS_ERROR, 1,
                    "es.node: unsupported scheme in \"%s\"; accepted: http://, https://, cloud:ID, "
                    "file:PATH or -",
                    item);
        g_free(url);
        return NULL;
    }
    const char *host = strstr(url, "://") + 3;
    if (!*host || *host == '/' || *host == ':') {
        g_set_error(err, ES_SETTINGS_ERROR, 1, "es.node: no host in \"%s\"", item);
        g_free(url);
        return NULL;
    }
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        url[--n] = '\0';
    return url;
}

bool es_sink_parse(const char *node, es_sink *out, GError **err)
{
    memset(out, 0, sizeof *out);
    char *trimmed = g_strstrip(g_strdup(node ? node : ""));
    bool ok = true;

    if (!*trimmed) {
        g_set_error(err, ES_SETTINGS_ERROR, 1,
                    "es.node: not set; accepted: http(s)://host:port[,...], host:port, file:PATH or -");
        ok = false;
    } else if (strcmp(trimmed, "-") == 0) {
        out->kind = ES_SINK_STDOUT;
    } else if (g_str_has_prefix(trimmed, "file:")) {
        out->kind = ES_SINK_FILE;
        out->path = g_strdup(trimmed + 5);
        if (!*out->path) {
            g_set_error(err, ES_SETTINGS_ERROR, 1, "es.node: file: needs a path, e.g. file:/tmp/bulk.ndjson");
            ok = false;
        }
    } else {
        out->kind = ES_SINK_HTTP;
        char **items = g_strsplit(trimmed, ",", -1);
        GPtrArray *urls = g_ptr_array_new();
        for (char **it = items; *it && ok; it++) {
            char *item = g_strstrip(*it);
            if (!*item)
                continue;
            char *url = normalize_url(item, err);
            if (url)
                g_ptr_array_add(urls, url);
            else
                ok = false;
        }
        g_ptr_array_add(urls, NULL);
        out->urls = (char **)g_ptr_array_free(urls, FALSE);
        g_strfreev(items);
    }
    g_free(trimmed);
    if (!ok)
        es_sink_clear(out);
    return ok;
}

bool es_sink_is_loopback(const es_sink *s)
{
    if (s->kind != ES_SINK_HTTP)
        return true;
    for (char **u = s->urls; *u; u++)
        if (!es_url_is_loopback(*u))
            return false;
    return true;
}
