/* test_kibana.c — rison and the Discover address.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <glib.h>

#include "kibana.h"

static void test_rison(void)
{
    char *r = es_rison_from_json("{\"bool\":{\"filter\":[{\"term\":{\"ip.src\":\"10.0.0.1\"}},"
                                 "{\"range\":{\"tcp.port\":{\"gte\":80,\"lt\":1.5}}}],\"x\":[true,false,null]}}");
    g_assert_cmpstr(r, ==, "('bool':('filter':!(('term':('ip.src':'10.0.0.1')),"
                           "('range':('tcp.port':('gte':80,'lt':1.5)))),'x':!(!t,!f,!n)))");
    g_free(r);
    r = es_rison_from_json("\"it's!\"");
    g_assert_cmpstr(r, ==, "'it!'s!!'");
    g_free(r);
    g_assert_null(es_rison_from_json("{broken"));
}

static void test_url_time_only(void)
{
    char *u = es_kibana_discover_url("http://kb:5601/", "packets-*", 1385391358.382163, 1385391359.0001, NULL,
                                     NULL);
    g_assert_cmpstr(u, ==, "http://kb:5601/app/discover#/?_g=(time:(from:'2013-11-25T14:55:58.382Z',"
                           "to:'2013-11-25T14:55:59.001Z'))&_a=(index:'packets-*')");
    g_free(u);
}

static void test_url_with_filter(void)
{
    char *u = es_kibana_discover_url("https://h/kibana", "p-*", 0, 1, "{\"exists\":{\"field\":\"dns\"}}",
                                     "dns && a b");
    g_assert_cmpstr(u, ==, "https://h/kibana/app/discover#/?_g=(time:(from:'1970-01-01T00:00:00.000Z',"
                           "to:'1970-01-01T00:00:01.000Z'))&_a=(index:'p-*',filters:!((meta:(alias:"
                           "'dns%20%26%26%20a%20b',disabled:!f,negate:!f,type:custom,index:'p-*'),"
                           "query:('exists':('field':'dns')))))");
    g_free(u);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kibana/rison", test_rison);
    g_test_add_func("/kibana/url-time-only", test_url_time_only);
    g_test_add_func("/kibana/url-with-filter", test_url_with_filter);
    return g_test_run();
}
