/* parts.h — the parts of a split capture and their frame maps, written.
 *
 * Each part is a capture file (or a pipe its tshark reads) and a frame map
 * (plugin/framemap.h: a 24-byte record per frame).  Blocks that are not
 * frames go to every part; a frame's record goes to its part's map before
 * the frame.  Writes are buffered; into pipes, a part's map records and
 * frames go out every 2048 frames of it (48 KiB of map, less than a pipe
 * holds), maps first, so a tshark never waits for a record held back here
 * while this waits for it to read frames.  A pipe whose reader has gone
 * takes no more; when all have gone, writing stops.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SPLIT_PARTS_H
#define ES_SPLIT_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ES_SPLIT_RECORD 24

typedef struct es_parts es_parts;

/* Parts written to the descriptors caps[k] and maps[k] (-1: a part whose
 * reader never came: its writes are dropped); pipes: flush every 2048
 * frames. Takes the descriptors. */
es_parts *es_parts_new(unsigned n, const int *caps, const int *maps, bool pipes);

typedef enum {
    ES_PARTS_OK,
    ES_PARTS_GONE, /* every reader has gone */
    ES_PARTS_ERROR /* a write failed: errno */
} es_parts_result;

/* A block for every part (buffered: written with the part's next frames). */
void es_parts_to_all(es_parts *p, const uint8_t *block, size_t len);
es_parts_result es_parts_frame(es_parts *p, unsigned part, const uint8_t record[ES_SPLIT_RECORD],
                               const uint8_t *block, size_t len);

/* Frames given to part k so far. */
uint64_t es_parts_frames(const es_parts *p, unsigned k);

/* Writes what is buffered and closes every descriptor; the first failure
 * (ES_PARTS_GONE does not count here).  Frees p. */
es_parts_result es_parts_close(es_parts *p);

#endif
