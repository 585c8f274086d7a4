/* standalone.c — runs a fuzz target over files when not built with
 * libFuzzer, so every target always compiles and its corpus is replayed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *name;
        int n = 0;
        while (d && (name = g_dir_read_name(d))) {
            char *p = g_build_filename(path, name, NULL);
            n += run(p);
            g_free(p);
        }
        if (d)
            g_dir_close(d);
        return n;
    }
    char *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        fprintf(stderr, "cannot read %s\n", path);
        return 0;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    g_free(data);
    return 1;
}

int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++)
        n += run(argv[i]);
    printf("%d inputs ran\n", n);
    return n > 0 ? 0 : 1;
}
