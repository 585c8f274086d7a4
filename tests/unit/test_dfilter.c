/* test_dfilter.c — display filters to query DSL, query-string rewriting,
 * and PCRE to Lucene.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <glib.h>

#include "dfilter2dsl.h"
#include "dfregex.h"
#include "qstring.h"

static const struct {
    const char *name;
    df_type type;
} mapping[] = {
    {"ip.addr", DF_IP},
    {"ip.src", DF_IP},
    {"ipv6.addr", DF_IP},
    {"tcp.port", DF_LONG},
    {"tcp.flags", DF_LONG},
    {"tcp.flags.syn", DF_BOOLEAN},
    {"tcp_flags_syn", DF_BOOLEAN},
    {"tcp_port", DF_LONG},
    {"frame.time_relative", DF_DOUBLE},
    {"dns.qry.name", DF_KEYWORD},
    {"http.host", DF_KEYWORD},
    {"eth.src", DF_KEYWORD},
    {"tcp.payload", DF_BYTES},
    {"frame.time", DF_DATE},
    {"frame.protocols", DF_KEYWORD},
    {"tcp", DF_PROTOCOL},
    {"dns", DF_PROTOCOL},
    {"tcp.analysis", DF_PROTOCOL},
    {"es.raw", DF_OTHER},
    {"mixed", DF_CONFLICT},
    {"nfs.fattr.size", DF_ULONG_DOUBLE},
};

static df_type lookup(void *ud, const char *name)
{
    (void)ud;
    for (size_t i = 0; i < G_N_ELEMENTS(mapping); i++)
        if (strcmp(mapping[i].name, name) == 0)
            return mapping[i].type;
    return DF_ABSENT;
}

static void expect(const char *filter, const char *dsl)
{
    char *out = NULL, *err = NULL;
    gboolean ok = df_translate(filter, FALSE, lookup, NULL, &out, &err);
    if (!ok)
        g_error("%s: %s", filter, err);
    g_assert_cmpstr(out, ==, dsl);
    g_free(out);
}

static void refused(const char *filter, const char *part)
{
    char *out = NULL, *err = NULL;
    g_assert_false(df_translate(filter, FALSE, lookup, NULL, &out, &err));
    g_assert_null(out);
    if (!strstr(err, part))
        g_error("%s: '%s' does not name '%s'", filter, err, part);
    g_free(err);
}

static void test_comparisons(void)
{
    expect("tcp.port == 80", "{\"term\":{\"tcp.port\":80}}");
    expect("tcp.port eq 0x50", "{\"term\":{\"tcp.port\":80}}");
    expect("tcp.port == 0120", "{\"term\":{\"tcp.port\":80}}");
    expect("tcp.port >= 1024", "{\"range\":{\"tcp.port\":{\"gte\":1024}}}");
    expect("tcp.port lt 10", "{\"range\":{\"tcp.port\":{\"lt\":10}}}");
    expect("frame.time_relative > 0.5", "{\"range\":{\"frame.time_relative\":{\"gt\":0.5}}}");
    expect("tcp.flags.syn == 1", "{\"term\":{\"tcp.flags.syn\":true}}");
    expect("tcp.flags.syn == 0", "{\"term\":{\"tcp.flags.syn\":false}}");
    expect("http.host == \"a\\x41\"", "{\"term\":{\"http.host\":\"aA\"}}");
    expect("http.host == example.com", "{\"term\":{\"http.host\":\"example.com\"}}");
    expect("eth.src == 00:1f:5b:ff:51:cb", "{\"term\":{\"eth.src\":\"00:1f:5b:ff:51:cb\"}}");
    expect("tcp.payload == 47:45:54", "{\"term\":{\"tcp.payload\":\"474554\"}}");
    expect("tcp.payload == \"GET\"", "{\"term\":{\"tcp.payload\":\"474554\"}}");
    expect("nfs.fattr.size == 18446744073709551615",
           "{\"term\":{\"nfs.fattr.size.exact\":\"18446744073709551615\"}}");
    expect("frame.time >= \"2013-11-25T14:55:58.5Z\"",
           "{\"range\":{\"frame.time\":{\"gte\":\"2013-11-25T14:55:58.500000000Z\"}}}");
}

static void test_not_equal_needs_the_field(void)
{
    expect("tcp.port != 80",
           "{\"bool\":{\"filter\":[{\"exists\":{\"field\":\"tcp.port\"}}],\"must_not\":[{\"term\":{\"tcp.port\":80}}]}}");
}

static void test_addresses(void)
{
    expect("ip.addr == 10.1.2.3", "{\"term\":{\"ip.addr\":\"10.1.2.3\"}}");
    expect("ip.addr == 10.1.2.3/8", "{\"term\":{\"ip.addr\":\"10.0.0.0/8\"}}");
    expect("ipv6.addr == 2001:db8::1/32", "{\"term\":{\"ipv6.addr\":\"2001:db8::/32\"}}");
    expect("ip.src > 10.0.0.1", "{\"range\":{\"ip.src\":{\"gt\":\"10.0.0.1\"}}}");
    refused("ip.src > 10.0.0.0/8", "address block");
    refused("ip.addr == example.com", "not an address");
}

static void test_sets(void)
{
    const char *want = "{\"bool\":{\"should\":[{\"term\":{\"tcp.port\":80}},{\"term\":{\"tcp.port\":443}},"
                       "{\"range\":{\"tcp.port\":{\"gte\":8000,\"lte\":8080}}}],\"minimum_should_match\":1}}";
    expect("tcp.port in {80, 443, 8000..8080}", want);
    expect("tcp.port in {80 443 8000 .. 8080}", want);
    expect("ip.addr in {10.0.0.0/8}",
           "{\"bool\":{\"should\":[{\"term\":{\"ip.addr\":\"10.0.0.0/8\"}}],\"minimum_should_match\":1}}");
    refused("tcp.port in {}", "empty");
    refused("tcp.port in {80", "not closed");
}

static void test_logic(void)
{
    expect("tcp.port == 1 && tcp.port == 2 and tcp.port == 3",
           "{\"bool\":{\"filter\":[{\"term\":{\"tcp.port\":1}},{\"term\":{\"tcp.port\":2}},"
           "{\"term\":{\"tcp.port\":3}}]}}");
    /* && binds tighter than || */
    expect("tcp.port == 1 || tcp.port == 2 && tcp.port == 3",
           "{\"bool\":{\"should\":[{\"term\":{\"tcp.port\":1}},{\"bool\":{\"filter\":[{\"term\":{\"tcp.port\":2}},"
           "{\"term\":{\"tcp.port\":3}}]}}],\"minimum_should_match\":1}}");
    expect("!(tcp.port == 1) or not tcp.flags.syn",
           "{\"bool\":{\"should\":[{\"bool\":{\"must_not\":[{\"term\":{\"tcp.port\":1}}]}},"
           "{\"bool\":{\"must_not\":[{\"exists\":{\"field\":\"tcp.flags.syn\"}}]}}],\"minimum_should_match\":1}}");
}

static void test_strings(void)
{
    expect("dns.qry.name contains \"go*gle\"", "{\"wildcard\":{\"dns.qry.name\":{\"value\":\"*go\\\\*gle*\"}}}");
    expect("http.host matches \"^www\\\\.[a-z]+$\"",
           "{\"regexp\":{\"http.host\":{\"value\":\"(www\\\\.[a-zA-Z]+\\n?)\",\"flags\":\"NONE\",\"case_insensitive\":true}}}");
    expect("http.host matches \"(?-i)x\"",
           "{\"regexp\":{\"http.host\":{\"value\":\".*(x).*\",\"flags\":\"NONE\",\"case_insensitive\":false}}}");
    refused("eth.src == 00:1F:5B:FF:51:CB", "00:1f:5b:ff:51:cb");
    refused("tcp.payload contains 47:45", "string fields only");
    refused("eth.src contains 00:1f", "ambiguous");
}

static void test_fields_and_protocols(void)
{
    expect("tcp.flags", "{\"exists\":{\"field\":\"tcp.flags\"}}");
    expect("tcp", "{\"regexp\":{\"frame.protocols\":{\"value\":\"(.*:)?tcp(:.*)?\"}}}");
    expect("smb2.cmd == 5", "{\"match_none\":{}}"); /* no document has it */
    expect("!smb2", "{\"bool\":{\"must_not\":[{\"match_none\":{}}]}}");
    refused("tcp.analysis", "test one of its fields");
    refused("tcp == 1", "protocol");
    refused("mixed == 1", "different types");
    refused("es.raw == 1", "not mapped as a comparable type");
}

static void test_refusals_name_the_part(void)
{
    refused("frame[0:2] == 00:13", "at '[");
    refused("tcp.flags & 0x02", "bitwise");
    refused("ip.src == ip.addr", "with the field ip.addr");
    refused("len(http.host) > 3", "at '('");
    refused("tcp.port == http", "'http' is not an integer");
    refused("tcp.port == 1.5", "'1.5' is not an integer");
    refused("tcp.port == 80 &&", "at the end");
    refused("tcp.port == 80 tcp", "at 'tcp'");
    refused("tcp.port === 80", "all equal");
    refused("http.host matches \"(?<=a)b\"", "look-around");
    refused("http.host matches \"a\\\\1\"", "escape");
    refused("http.host matches \"a^b\"", "^ not at the start");
    refused("tcp.flags.syn > 0", "boolean");
    refused("nfs.fattr.size > 9007199254740993", "2^53");
    refused("", "empty");
    refused("http.host == \"abc", "not closed");
}

static void test_underscore_style(void)
{
    char *out = NULL, *err = NULL;
    g_assert_true(df_translate("tcp.flags.syn == 1 && tcp.port == 80", TRUE, lookup, NULL, &out, &err));
    g_assert_cmpstr(out, ==, "{\"bool\":{\"filter\":[{\"term\":{\"tcp_flags_syn\":true}},{\"term\":{\"tcp_port\":80}}]}}");
    g_free(out);
    char *n = df_index_name("dns.qry.name.text", TRUE);
    g_assert_cmpstr(n, ==, "dns_qry_name.text");
    g_free(n);
}

static void test_syntax_and_kind(void)
{
    g_assert_true(df_syntax_ok("ip.addr == 10.0.0.0/8 && !(tcp.port in {80 443})", NULL));
    g_assert_false(df_syntax_ok("frame[0:2] == 00:13", NULL));
    g_assert_true(df_is_filter("frame[0:2] == 00:13")); /* refused later, by name */
    g_assert_false(df_is_filter("dns.qry.name:example.com AND ip.addr:10.0.0.0/8"));
    g_assert_false(df_is_filter("\"some words\""));
    g_assert_true(df_is_filter("tcp.port == 80 &&")); /* broken, but a filter: its error is shown */
    g_assert_false(df_is_filter("tcp.port:(80"));
}

static void test_query_string(void)
{
    char *q = qs_rewrite("ip.addr:10.0.0.0/8 AND tcp.flags.syn:1 AND _exists_:tcp.flags AND \"a.b:c\" "
                         "AND http.host:/w+\\.x/ AND dns.qry.name.text:foo",
                         TRUE, lookup, NULL);
    g_assert_cmpstr(q, ==, "ip_addr:10.0.0.0\\/8 AND tcp_flags_syn:true AND _exists_:tcp_flags AND \"a.b:c\" "
                           "AND http_host:/w+\\.x/ AND dns_qry_name.text:foo");
    g_free(q);
    q = qs_rewrite("(tcp.port:80 OR -udp.port:53) frame.len:[100 TO 200]", FALSE, lookup, NULL);
    g_assert_cmpstr(q, ==, "(tcp.port:80 OR -udp.port:53) frame.len:[100 TO 200]");
    g_free(q);
}

static void regex_is(const char *pcre, const char *lucene)
{
    bool caseless = true; /* Wireshark's default */
    char *why = NULL;
    char *out = df_regex_to_lucene(pcre, &caseless, &why);
    if (!out)
        g_error("%s: %s", pcre, why);
    g_assert_cmpstr(out, ==, lucene);
    g_free(out);
}

static void test_regex(void)
{
    regex_is("abc", ".*(abc).*");
    regex_is("^a.c$", "(a[^\n]c\n?)");
    regex_is("\\d+\\s\\W", ".*([0-9]+[\\ \\\t\\\n\\\r\\\f\\\v][^0-9A-Za-z_]).*");
    regex_is("[\\d_-]x", ".*([0-9\\_\\-]x).*");
    regex_is("(?:ab)+?|c{2,3}", ".*((ab)+|c{2,3}).*"); /* | stays inside the .* */
    regex_is("a{x}<@#", ".*(a\\{x\\}\\<\\@\\#).*");
    regex_is("(?P<n>a)\\x41", ".*((a)A).*");
    /* Lucene folds case for single characters only: ranges get their other case */
    regex_is("^[a-f0-9]x", "([a-f0-9A-F]x).*");
    regex_is("[^C-E]", ".*([^C-Ec-e]).*");
    regex_is("(?-i)[a-f]", ".*([a-f]).*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dfilter/comparisons", test_comparisons);
    g_test_add_func("/dfilter/not-equal-needs-the-field", test_not_equal_needs_the_field);
    g_test_add_func("/dfilter/addresses", test_addresses);
    g_test_add_func("/dfilter/sets", test_sets);
    g_test_add_func("/dfilter/logic", test_logic);
    g_test_add_func("/dfilter/strings", test_strings);
    g_test_add_func("/dfilter/fields-and-protocols", test_fields_and_protocols);
    g_test_add_func("/dfilter/refusals-name-the-part", test_refusals_name_the_part);
    g_test_add_func("/dfilter/underscore-style", test_underscore_style);
    g_test_add_func("/dfilter/syntax-and-kind", test_syntax_and_kind);
    g_test_add_func("/dfilter/query-string", test_query_string);
    g_test_add_func("/dfilter/regex", test_regex);
    return g_test_run();
}
