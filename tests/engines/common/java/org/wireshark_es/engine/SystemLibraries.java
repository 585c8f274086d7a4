// SPDX-License-Identifier: GPL-2.0-or-later
// Elasticsearch 8.15 and later load native libraries (zstd, which stores
// best_compression indices) from HOME/lib/platform/OS-ARCH, where a
// distribution ships Elastic's builds.  Maven Central has none of them, so
// the engine links the system's library there instead (Debian: libzstd1).
package org.wireshark_es.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

public final class SystemLibraries {
    private static final List<String> DIRS = List.of(
        "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib");

    private SystemLibraries() {
    }

    /** Links HOME/lib/platform/OS-ARCH/lib{name}.so to the system's lib{name}.so.{major}. */
    public static void link(Path home, String name, int major) throws IOException {
        String arch = System.getProperty("os.arch").matches("amd64|x86_64") ? "x64" : "aarch64";
        Path dir = home.resolve("lib/platform/linux-" + arch);
        Path link = dir.resolve(System.mapLibraryName(name));
        if (Files.exists(link)) {
            return;
        }
        for (String d : DIRS) {
            Path lib = Path.of(d, System.mapLibraryName(name) + "." + major);
            if (Files.isReadable(lib)) {
                Files.createDirectories(dir);
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, lib);
                return;
            }
        }
        System.err.println("engine: no system lib" + name + ".so." + major + " (Debian: libzstd1);"
            + " indices with index.codec best_compression will fail");
    }
}
