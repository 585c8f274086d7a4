/* test_framemap.c — frame maps of split captures, time origins and
 * capture ids as es.capture_id accepts them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "framemap.h"

static void put_streams(uint8_t *p, uint32_t tcp, uint32_t udp)
{
    for (int i = 0; i < 4; i++) {
        p[16 + i] = (uint8_t)(tcp >> (8 * i));
        p[20 + i] = (uint8_t)(udp >> (8 * i));
    }
}

static void put_record(uint8_t *p, uint32_t number, uint32_t nsecs, int64_t secs)
{
    uint64_t s = (uint64_t)secs;
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(number >> (8 * i));
        p[4 + i] = (uint8_t)(nsecs >> (8 * i));
    }
    for (int i = 0; i < 8; i++)
        p[8 + i] = (uint8_t)(s >> (8 * i));
    put_streams(p, 0, 0);
}

static char *write_map(const uint8_t *data, size_t len)
{
    char *path = NULL;
    int fd = g_file_open_tmp("framemap-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_true(write(fd, data, len) == (ssize_t)len);
    close(fd);
    return path;
}

static void test_read(void)
{
    uint8_t buf[3 * ES_FRAMEMAP_RECORD];
    put_record(buf, 2, 5, 100);
    put_record(buf + ES_FRAMEMAP_RECORD, 7, 999999999, -3);
    put_streams(buf + ES_FRAMEMAP_RECORD, 3, 4000000000u);
    put_record(buf + 2 * ES_FRAMEMAP_RECORD, 4000000000u, 0, 1700000000);
    put_streams(buf + 2 * ES_FRAMEMAP_RECORD, 3, 4000000001u);
    char *path = write_map(buf, sizeof buf);
    GError *err = NULL;
    es_frame_map *m = es_frame_map_open(path, &err);
    g_assert_no_error(err);
    es_frame_ref r;
    g_assert_cmpuint(es_frame_map_number(m, 1), ==, 0); /* not read yet */
    g_assert_true(es_frame_map_get(m, 2, &r, &err));
    g_assert_cmpuint(r.number, ==, 7);
    g_assert_cmpuint(r.prev_nsecs, ==, 999999999);
    g_assert_cmpint(r.prev_secs, ==, -3);
    g_assert_cmpuint(r.streams_elsewhere[ES_STREAM_TCP], ==, 3);
    g_assert_cmpuint(r.streams_elsewhere[ES_STREAM_UDP], ==, 4000000000u);
    g_assert_cmpuint(es_frame_map_number(m, 1), ==, 2);
    g_assert_true(es_frame_map_get(m, 3, &r, &err));
    g_assert_cmpuint(r.number, ==, 4000000000u);
    g_assert_cmpint(r.prev_secs, ==, 1700000000);
    g_assert_false(es_frame_map_get(m, 0, &r, &err));
    g_assert_no_error(err);
    /* beyond the map: an error once, then only false */
    g_assert_false(es_frame_map_get(m, 4, &r, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "ends after 3 frames"));
    g_clear_error(&err);
    g_assert_false(es_frame_map_get(m, 5, &r, &err));
    g_assert_no_error(err);
    g_assert_true(es_frame_map_get(m, 1, &r, &err)); /* those read stay */
    g_assert_cmpuint(r.number, ==, 2);
    es_frame_map_free(m);
    g_unlink(path);
    g_free(path);
}

static void test_truncated_and_invalid(void)
{
    uint8_t buf[2 * ES_FRAMEMAP_RECORD];
    put_record(buf, 1, 0, 0);
    put_record(buf + ES_FRAMEMAP_RECORD, 2, 0, 0);
    char *path = write_map(buf, sizeof buf - 3); /* half a record at the end */
    GError *err = NULL;
    es_frame_map *m = es_frame_map_open(path, &err);
    es_frame_ref r;
    g_assert_true(es_frame_map_get(m, 1, &r, &err));
    g_assert_false(es_frame_map_get(m, 2, &r, &err));
    g_assert_nonnull(strstr(err->message, "part of a record"));
    g_clear_error(&err);
    es_frame_map_free(m);
    g_unlink(path);
    g_free(path);

    /* frame number, ns, TCP and UDP stream counts after {5, 0, 2, 2} */
    static const uint32_t bad[][4] = {{0, 0, 2, 2}, {5, 5, 2, 2}, {5, 3, 2, 2}, {9, 1000000000u, 2, 2}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        m = es_frame_map_new_empty();
        put_record(buf, 5, 0, 0);
        put_streams(buf, 2, 2);
        put_record(buf + ES_FRAMEMAP_RECORD, bad[i][0], bad[i][1], 0);
        put_streams(buf + ES_FRAMEMAP_RECORD, bad[i][2], bad[i][3]);
        /* {0, 0} is invalid as the first record already */
        size_t off = i == 0 ? ES_FRAMEMAP_RECORD : 0;
        g_assert_false(es_frame_map_feed(m, buf + off, sizeof buf - off, &err));
        g_assert_nonnull(strstr(err->message, "is invalid"));
        g_clear_error(&err);
        es_frame_map_free(m);
    }
    g_assert_null(es_frame_map_open("/nonexistent/map", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
}

/* Two parts' TCP streams in the single run's order: 0 (part 0), 1 2
 * (part 1), 3 (part 0), 4 (part 1); seen from part 0, then part 1. */
static void test_streams(void)
{
    es_frame_map *m = es_frame_map_new_empty();
    es_frame_ref now = {0};
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 0, &now), ==, 0);
    now.streams_elsewhere[ES_STREAM_TCP] = 2;
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 0, &now), ==, 0); /* learned once */
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 1, &now), ==, 3);
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_UDP, 0, &now), ==, 0); /* kinds apart */
    es_frame_map_free(m);

    m = es_frame_map_new_empty();
    now.streams_elsewhere[ES_STREAM_TCP] = 1;
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 0, &now), ==, 1);
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 1, &now), ==, 2);
    now.streams_elsewhere[ES_STREAM_TCP] = 2;
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 2, &now), ==, 4);
    /* local 3 unseen (its frames not exported): given the same count as 4 */
    now.streams_elsewhere[ES_STREAM_TCP] = 7;
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 4, &now), ==, 11);
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 3, &now), ==, 10);
    g_assert_cmpuint(es_frame_map_stream(m, ES_STREAM_TCP, 1, &now), ==, 2);
    es_frame_map_free(m);
}

static void test_time_origin(void)
{
    int64_t s;
    int32_t ns;
    g_assert_true(es_time_origin_parse("1093521678.945447000", &s, &ns));
    g_assert_cmpint(s, ==, 1093521678);
    g_assert_cmpint(ns, ==, 945447000);
    g_assert_true(es_time_origin_parse("12.5", &s, &ns));
    g_assert_cmpint(s, ==, 12);
    g_assert_cmpint(ns, ==, 500000000);
    g_assert_true(es_time_origin_parse("0", &s, &ns));
    g_assert_cmpint(s, ==, 0);
    g_assert_cmpint(ns, ==, 0);
    static const char *const bad[] = {"", ".5", "1.", "1.1234567890", "-1.5", "1e9", "1.5x", " 1",
                                      "99999999999999999999"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(es_time_origin_parse(bad[i], &s, &ns));
}

static void test_capture_id(void)
{
    g_assert_true(es_capture_id_valid("69375efda2995efb"));
    g_assert_false(es_capture_id_valid("69375EFDA2995EFB"));
    g_assert_false(es_capture_id_valid("69375efda2995ef"));
    g_assert_false(es_capture_id_valid("69375efda2995efbb"));
    g_assert_false(es_capture_id_valid("69375efda2995efg"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/framemap/read", test_read);
    g_test_add_func("/framemap/truncated-invalid", test_truncated_and_invalid);
    g_test_add_func("/framemap/streams", test_streams);
    g_test_add_func("/framemap/time-origin", test_time_origin);
    g_test_add_func("/framemap/capture-id", test_capture_id);
    return g_test_run();
}
