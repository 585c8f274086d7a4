/* wireshark-es-split — one capture split by conversation into N parts,
 * for wireshark-es-index --split N (scripts/wireshark_es_split.py runs it;
 * that module's own splitter is the reference this matches byte for byte).
 *
 *   wireshark-es-split [--wireshark MAJOR.MINOR] CAPTURE --files PART MAP [PART MAP ...]
 *   wireshark-es-split [--wireshark MAJOR.MINOR] CAPTURE --fds CAPFD MAPFD [CAPFD MAPFD ...]
 *
 * --files creates the part files and their frame maps; --fds writes to
 * open descriptors (named pipes the parts' tshark processes read; -1: a
 * part whose reader never came).  --wireshark: the tshark whose stream
 * numbering the maps follow (default 4.6).  Prints "frames N0 N1 ..." and
 * "first SECS NSECS" (or "first none"), the first frame's time.  Exit
 * status 3: the capture cannot be split (why on stderr), 4: every part's
 * reader has gone, 1: a read or write failed, 2: usage.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "capture.h"
#include "flows.h"
#include "parts.h"

enum { EXIT_USAGE = 2,
       EXIT_UNSPLITTABLE = 3,
       EXIT_GONE = 4 };

typedef struct splitter {
    es_flows *flows;
    es_parts *parts;
    es_parts_result written;
    uint64_t number;
    bool have_first;
    int64_t first_s, prev_s;
    uint64_t first_ns, prev_ns;
} splitter;

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static bool on_other(void *data, const uint8_t *block, size_t len)
{
    splitter *s = data;
    es_parts_to_all(s->parts, block, len);
    return true;
}

/* The frame's map record (original number, the previous frame's time,
 * the stream counts), then the frame, into its part. */
static bool on_frame(void *data, const es_capture_frame *fr, const char **why)
{
    splitter *s = data;
    unsigned part = es_flows_part(s->flows, fr->link, fr->data, fr->len);
    if (!s->have_first) {
        s->first_s = s->prev_s = fr->secs;
        s->first_ns = s->prev_ns = fr->nsecs;
        s->have_first = true;
    }
    if (++s->number > UINT32_MAX || s->prev_ns > UINT32_MAX) {
        *why = s->prev_ns > UINT32_MAX ? "a frame time's fraction out of range" : "more than 2^32 frames";
        return false;
    }
    uint8_t record[ES_SPLIT_RECORD];
    put_u32(record, (uint32_t)s->number);
    put_u32(record + 4, (uint32_t)s->prev_ns);
    put_u32(record + 8, (uint32_t)(uint64_t)s->prev_s);
    put_u32(record + 12, (uint32_t)((uint64_t)s->prev_s >> 32));
    put_u32(record + 16, es_flows_elsewhere(s->flows, ES_SPLIT_TCP, part));
    put_u32(record + 20, es_flows_elsewhere(s->flows, ES_SPLIT_UDP, part));
    es_flows_frame_done(s->flows);
    s->written = es_parts_frame(s->parts, part, record, fr->block, fr->block_len);
    s->prev_s = fr->secs;
    s->prev_ns = fr->nsecs;
    return s->written == ES_PARTS_OK;
}

static int usage(void)
{
    fprintf(stderr, "usage: wireshark-es-split [--wireshark MAJOR.MINOR] CAPTURE --files PART MAP [PART MAP ...]\n"
                    "       wireshark-es-split [--wireshark MAJOR.MINOR] CAPTURE --fds CAPFD MAPFD [CAPFD MAPFD ...]\n");
    return EXIT_USAGE;
}

/* The descriptors of the parts: opened files, or the numbers given. */
static bool outputs(char **args, unsigned n, bool files, int *caps, int *maps)
{
    for (unsigned k = 0; k < n; k++) {
        for (int i = 0; i < 2; i++) {
            const char *arg = args[2 * k + i];
            int fd;
            if (files) {
                fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                    fprintf(stderr, "wireshark-es-split: %s: %s\n", arg, g_strerror(errno));
                    return false;
                }
            } else {
                char *end;
                long v = strtol(arg, &end, 10);
                if (*end || v < -1 || v > INT32_MAX)
                    return false;
                fd = (int)v;
            }
            (i ? maps : caps)[k] = fd;
        }
    }
    return true;
}

static int finish(splitter *s, es_capture_result read, const char *why, unsigned n)
{
    uint64_t frames[ES_SPLIT_MAX_PARTS];
    for (unsigned k = 0; k < n; k++)
        frames[k] = es_parts_frames(s->parts, k);
    es_parts_result closed = es_parts_close(s->parts);
    if (read == ES_CAPTURE_STOPPED && s->written == ES_PARTS_GONE)
        return EXIT_GONE;
    if (read == ES_CAPTURE_UNSPLITTABLE || (read == ES_CAPTURE_STOPPED && s->written == ES_PARTS_OK)) {
        fprintf(stderr, "wireshark-es-split: %s\n", why);
        return EXIT_UNSPLITTABLE;
    }
    if (read != ES_CAPTURE_OK || closed == ES_PARTS_ERROR || s->written == ES_PARTS_ERROR) {
        fprintf(stderr, "wireshark-es-split: %s\n", read == ES_CAPTURE_IO ? why : g_strerror(errno));
        return EXIT_FAILURE;
    }
    printf("frames");
    for (unsigned k = 0; k < n; k++)
        printf(" %" PRIu64, frames[k]);
    if (s->have_first)
        printf("\nfirst %" PRId64 " %" PRIu64 "\n", s->first_s, s->first_ns);
    else
        printf("\nfirst none\n");
    return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    unsigned major = 4, minor = 6;
    int a = 1;
    if (a + 1 < argc && strcmp(argv[a], "--wireshark") == 0) {
        if (sscanf(argv[a + 1], "%u.%u", &major, &minor) != 2)
            return usage();
        a += 2;
    }
    if (argc - a < 4 || (argc - a) % 2 != 0)
        return usage();
    const char *path = argv[a];
    bool files = strcmp(argv[a + 1], "--files") == 0;
    if (!files && strcmp(argv[a + 1], "--fds") != 0)
        return usage();
    unsigned n = (unsigned)(argc - a - 2) / 2;
    if (n > ES_SPLIT_MAX_PARTS) {
        fprintf(stderr, "wireshark-es-split: at most %d parts\n", ES_SPLIT_MAX_PARTS);
        return EXIT_USAGE;
    }
    int caps[ES_SPLIT_MAX_PARTS], maps[ES_SPLIT_MAX_PARTS];
    if (!outputs(argv + a + 2, n, files, caps, maps))
        return files ? EXIT_FAILURE : usage();
    signal(SIGPIPE, SIG_IGN); /* a reader gone is EPIPE: its part is dropped */
    splitter s = {.flows = es_flows_new(n, major, minor), .parts = es_parts_new(n, caps, maps, !files)};
    es_capture_handler h = {on_other, on_frame, &s};
    const char *why = NULL;
    es_capture_result read = es_capture_read(path, &h, &why);
    int status = finish(&s, read, why, n);
    es_flows_free(s.flows);
    return status;
}
