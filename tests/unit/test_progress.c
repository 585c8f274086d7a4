/* test_progress.c — the progress line's text and its place on a terminal.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <unistd.h>

#include "progress.h"

static void test_format(void)
{
    es_stats st;
    es_stats_init(&st);
    es_stats_add(&st.frames, 1200);
    es_stats_add(&st.docs, 1100);
    es_stats_add(&st.indexed, 900);
    es_stats_add(&st.present, 50);
    es_stats_add(&st.rejected, 3);
    es_stats_add(&st.dropped, 2);
    es_stats_add(&st.retried, 7);
    es_stats_add(&st.failures, 1);
    GString *line = g_string_new(NULL);
    es_progress_format(&st, 1234.4, line);
    /* queued: handed over (1100) less answered (900 + 50 + 3 + 2) */
    g_assert_cmpstr(line->str, ==, "wireshark-es: 1200 frames (1234/s), 900 indexed, 5 errors, 8 retries, "
                                   "145 queued");
    g_string_free(line, TRUE);
    es_stats_clear(&st);
}

/* Not a terminal (the test's stderr is a pipe or a file under ctest):
 * no line, and messages are plain lines. */
static void test_not_a_terminal(void)
{
    if (g_test_subprocess()) {
        g_assert_false(es_progress_wanted(true));
        es_progress_message("wireshark-es: %s", "a message");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("wireshark-es: a message\n");
}

/* Drawn and cleared: the thread's output is "\r<line>\x1b[K" redraws, a
 * message clears the line, is written, and the line comes back; stopping
 * clears it. */
static void test_lines(void)
{
    if (g_test_subprocess()) {
        es_stats st;
        es_stats_init(&st);
        es_progress *p = es_progress_start(&st);
        g_assert_nonnull(p);
        g_assert_null(es_progress_start(&st)); /* one line at a time */
        g_usleep(300000);
        es_stats_add(&st.frames, 10);
        es_progress_message("wireshark-es: %s", "between");
        g_usleep(300000);
        es_progress_stop(p);
        es_stats_clear(&st);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("\rwireshark-es: 0 frames (0/s), 0 indexed, 0 errors, 0 retries, 0 queued"
                              "\x1b[K*\r\x1b[Kwireshark-es: between\n*10 frames*\r\x1b[K");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/progress/format", test_format);
    g_test_add_func("/progress/not-a-terminal", test_not_a_terminal);
    g_test_add_func("/progress/lines", test_lines);
    return g_test_run();
}
