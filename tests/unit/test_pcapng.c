/* test_pcapng.c — the pcapng writer's blocks, the times esdump reads, and
 * follow's memory of delivered documents.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "follow.h"
#include "pcapng.h"
#include "timerange.h"

static uint32_t u32(const guint8 *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint16_t u16(const guint8 *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

/* Offsets of the blocks of a pcapng stream, checking both length fields. */
static GArray *blocks(const guint8 *data, size_t len)
{
    GArray *offs = g_array_new(FALSE, FALSE, sizeof(size_t));
    for (size_t off = 0; off < len;) {
        uint32_t total = u32(data + off + 4);
        g_assert_cmpuint(total % 4, ==, 0);
        g_assert_cmpuint(off + total, <=, len);
        g_assert_cmpuint(u32(data + off + total - 4), ==, total);
        g_array_append_val(offs, off);
        off += total;
    }
    return offs;
}

static void test_blocks(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pcapng_writer *w = pcapng_writer_new(f);
    const guint8 frame[5] = {1, 2, 3, 4, 5};
    pcapng_packet p = {.linktype = 1, .source = "cap-a", .source_name = "a.pcap", .ts_ns = 1385391358382163001ULL, .orig_len = 60, .data = frame, .cap_len = 5, .comment = "wireshark-es: index i, _id cap-a-1"};
    g_assert_true(pcapng_writer_packet(w, &p));
    p.comment = NULL;
    g_assert_true(pcapng_writer_packet(w, &p)); /* same interface */
    p.source = "cap-b";
    g_assert_true(pcapng_writer_packet(w, &p)); /* another capture: another interface */
    p.linktype = 101;
    g_assert_true(pcapng_writer_packet(w, &p)); /* another link type */
    g_assert_true(pcapng_writer_flush(w));
    g_assert_cmpuint(pcapng_writer_interfaces(w), ==, 3);
    pcapng_writer_free(w);
    fclose(f);

    const guint8 *d = (const guint8 *)buf;
    GArray *b = blocks(d, len);
    uint32_t want[] = {0x0A0D0D0A, 1, 6, 6, 1, 6, 1, 6};
    g_assert_cmpuint(b->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < b->len; i++)
        g_assert_cmphex(u32(d + g_array_index(b, size_t, i)), ==, want[i]);
    g_assert_cmphex(u32(d + 8), ==, 0x1A2B3C4D);
    /* the IDB: link type, then if_name and if_tsresol = 9 */
    const guint8 *idb = d + g_array_index(b, size_t, 1);
    g_assert_cmpuint(u16(idb + 8), ==, 1);
    g_assert_cmpuint(u16(idb + 16), ==, 2);
    g_assert_cmpmem(idb + 20, 6, "a.pcap", 6);
    g_assert_cmpuint(u16(idb + 28), ==, 9);
    g_assert_cmpuint(idb[32], ==, 9);
    /* the first EPB: interface 0, ns time in two halves, lengths, data, comment */
    const guint8 *epb = d + g_array_index(b, size_t, 2);
    uint64_t ts = ((uint64_t)u32(epb + 12) << 32) | u32(epb + 16);
    g_assert_cmpuint(u32(epb + 8), ==, 0);
    g_assert_cmpuint(ts, ==, 1385391358382163001ULL);
    g_assert_cmpuint(u32(epb + 20), ==, 5);
    g_assert_cmpuint(u32(epb + 24), ==, 60);
    g_assert_cmpmem(epb + 28, 5, frame, 5);
    g_assert_cmpuint(u16(epb + 36), ==, 1);
    g_assert_cmpmem(epb + 40, 34, "wireshark-es: index i, _id cap-a-1", 34);
    /* the last EPB is on the third interface */
    g_assert_cmpuint(u32(d + g_array_index(b, size_t, 7) + 8), ==, 2);
    g_array_free(b, TRUE);
    free(buf);
}

static void test_write_error_sticks(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f) {
        g_test_skip("no /dev/full");
        return;
    }
    setvbuf(f, NULL, _IONBF, 0);
    g_assert_null(pcapng_writer_new(f));
    fclose(f);
}

static void test_times(void)
{
    int64_t ns;
    char *err = NULL;
    g_assert_true(esd_time_rfc3339("2013-11-25T14:55:58.382163000Z", &ns));
    g_assert_cmpint(ns, ==, 1385391358382163000LL);
    g_assert_true(esd_time_rfc3339("2013-11-25T15:55:58.5+01:00", &ns));
    g_assert_cmpint(ns, ==, 1385391358500000000LL);
    g_assert_true(esd_time_rfc3339("1969-12-31T23:59:59Z", &ns));
    g_assert_cmpint(ns, ==, -1000000000LL);
    g_assert_false(esd_time_rfc3339("2013-11-25 14:55:58", &ns)); /* no zone */
    /* Years past what int64 nanoseconds hold are refused, not wrapped
     * (found by fuzz_dfilter: 'frame.time >= "Nov 24, 1006 14:55:58"'). */
    g_assert_true(esd_time_rfc3339("1678-01-01T00:00:00Z", &ns));
    g_assert_cmpint(ns, ==, -9214560000000000000LL);
    g_assert_true(esd_time_rfc3339("2261-12-31T23:59:59-23:59", &ns));
    g_assert_false(esd_time_rfc3339("1677-12-31T23:59:59Z", &ns));
    g_assert_false(esd_time_rfc3339("2262-01-01T00:00:00Z", &ns));
    g_assert_false(esd_time_parse("1006-11-24 14:55:58", 0, &ns, &err));
    g_clear_pointer(&err, g_free);
    g_assert_false(esd_time_parse("9999-12-31 23:59:59", 0, &ns, &err));
    g_clear_pointer(&err, g_free);
    const int64_t now = 1700000000LL * 1000000000LL;
    g_assert_true(esd_time_parse("last 15 minutes", now, &ns, &err));
    g_assert_cmpint(ns, ==, now - 900LL * 1000000000LL);
    g_assert_true(esd_time_parse("now-2h", now, &ns, &err));
    g_assert_cmpint(ns, ==, now - 7200LL * 1000000000LL);
    g_assert_true(esd_time_parse("3 days ago", now, &ns, &err));
    g_assert_cmpint(ns, ==, now - 3 * 86400LL * 1000000000LL);
    g_assert_true(esd_time_parse("last hour", now, &ns, &err));
    g_assert_cmpint(ns, ==, now - 3600LL * 1000000000LL);
    g_assert_true(esd_time_parse("1700000000", now, &ns, &err));
    g_assert_cmpint(ns, ==, now);
    g_assert_false(esd_time_parse("soon", now, &ns, &err));
    g_assert_nonnull(strstr(err, "'soon' is not a time"));
    g_free(err);
    char *s = esd_time_format(1385391358382163000LL);
    g_assert_cmpstr(s, ==, "2013-11-25T14:55:58.382163000Z");
    g_free(s);
}

static void test_follow_memory(void)
{
    const int64_t s = 1000000000LL;
    esd_seen *seen = esd_seen_new(5 * s);
    g_assert_cmpint(esd_seen_since(seen), ==, INT64_MIN);
    g_assert_false(esd_seen_check(seen, "a", 100 * s));
    g_assert_true(esd_seen_check(seen, "a", 100 * s));
    g_assert_false(esd_seen_check(seen, "b", 103 * s));
    g_assert_cmpint(esd_seen_since(seen), ==, 98 * s);
    g_assert_false(esd_seen_check(seen, "c", 110 * s)); /* a and b leave the window */
    g_assert_cmpuint(esd_seen_size(seen), ==, 1);
    g_assert_false(esd_seen_check(seen, "a", 100 * s)); /* older than the window: new again */
    esd_seen_free(seen);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pcapng/blocks", test_blocks);
    g_test_add_func("/pcapng/write-error-sticks", test_write_error_sticks);
    g_test_add_func("/timerange/times", test_times);
    g_test_add_func("/follow/memory", test_follow_memory);
    return g_test_run();
}
