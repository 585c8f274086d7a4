// SPDX-License-Identifier: GPL-2.0-or-later
// The part of every engine that does not depend on the search engine's
// API: the command line, node settings as plain strings, the stdin
// commands and the lines printed for scripts/engine.  Each engine's
// Engine class turns the settings into a node of its own kind.
//
//   Engine --home HOME --data DATA --http-port P --transport-port T [--nodes N] [--cluster NAME]
//
// Node i listens on 127.0.0.1, HTTP port P+i, transport port T+i, and
// keeps its data in DATA/node-i.  Standard input takes commands, one per
// line: "stop I" closes node I, "start I" starts it again on its data; end
// of input changes nothing.  Each started node prints
// "started I http://127.0.0.1:PORT", each stopped one "stopped I".
package org.wireshark_es.engine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public abstract class Cluster<N> {
    protected final Options options;
    private final List<N> nodes = new ArrayList<>();

    protected Cluster(Options options) {
        this.options = options;
        for (int i = 0; i < options.nodes(); i++) {
            nodes.add(null);
        }
    }

    /** Builds and starts one node from its settings. */
    protected abstract N startNode(int i, Map<String, String> settings) throws Exception;

    /** Closes a node and waits until it has let go of its ports and data. */
    protected abstract void closeNode(N node) throws Exception;

    /** The setting naming the first cluster managers ("masters" before OpenSearch 2). */
    protected String initialManagersSetting() {
        return "cluster.initial_master_nodes";
    }

    /** Starts every node, then obeys stdin until the JVM is told to end. */
    public final void run() throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll));
        for (int i = 0; i < nodes.size(); i++) {
            start(i);
        }
        readCommands();
        Thread.currentThread().join();
    }

    protected Map<String, String> settings(int i) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("cluster.name", options.cluster());
        s.put("node.name", "node-" + i);
        s.put("path.home", options.home().toString());
        s.put("path.data", options.data().resolve("node-" + i).toString());
        s.put("path.logs", options.data().resolve("logs").toString());
        s.put("network.host", "127.0.0.1");
        s.put("http.port", Integer.toString(options.httpPort() + i));
        s.put("transport.port", Integer.toString(options.transportPort() + i));
        // The tests' scratch disks fill up; a real cluster's watermarks
        // would make their indices read-only halfway through a run.
        s.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        if (options.nodes() == 1) {
            s.put("discovery.type", "single-node");
        } else {
            List<String> seeds = new ArrayList<>();
            List<String> managers = new ArrayList<>();
            for (int j = 0; j < options.nodes(); j++) {
                seeds.add("127.0.0.1:" + (options.transportPort() + j));
                managers.add("node-" + j);
            }
            // List settings accept one comma-separated string.
            s.put("discovery.seed_hosts", String.join(",", seeds));
            s.put(initialManagersSetting(), String.join(",", managers));
        }
        return s;
    }

    private synchronized void start(int i) throws Exception {
        if (nodes.get(i) != null) {
            return;
        }
        nodes.set(i, startNode(i, settings(i)));
        say("started " + i + " http://127.0.0.1:" + (options.httpPort() + i));
    }

    private synchronized void stop(int i) {
        N node = nodes.set(i, null);
        if (node == null) {
            return;
        }
        try {
            closeNode(node);
        } catch (Exception e) {
            System.err.println("stopping node " + i + ": " + e);
        }
        say("stopped " + i);
    }

    private void stopAll() {
        for (int i = 0; i < nodes.size(); i++) {
            stop(i);
        }
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private void readCommands() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            if (words.length != 2 || !words[1].matches("\\d{1,2}") || Integer.parseInt(words[1]) >= nodes.size()) {
                System.err.println("commands: stop I | start I (I < " + nodes.size() + ")");
                continue;
            }
            int i = Integer.parseInt(words[1]);
            switch (words[0]) {
                case "stop" -> stop(i);
                case "start" -> start(i);
                default -> System.err.println("commands: stop I | start I");
            }
        }
    }

    public record Options(Path home, Path data, int httpPort, int transportPort, int nodes, String cluster) {
        public static Options parse(String[] args) {
            Path home = null;
            Path data = null;
            int http = 9200;
            int transport = 9300;
            int nodes = 1;
            String cluster = "wireshark-es";
            for (int i = 0; i + 1 < args.length; i += 2) {
                String value = args[i + 1];
                switch (args[i]) {
                    case "--home" -> home = Paths.get(value).toAbsolutePath();
                    case "--data" -> data = Paths.get(value).toAbsolutePath();
                    case "--http-port" -> http = Integer.parseInt(value);
                    case "--transport-port" -> transport = Integer.parseInt(value);
                    case "--nodes" -> nodes = Integer.parseInt(value);
                    case "--cluster" -> cluster = value;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (home == null || data == null || nodes < 1 || nodes > 9 || args.length % 2 != 0) {
                throw new IllegalArgumentException("usage: Engine --home HOME --data DATA"
                    + " [--http-port P] [--transport-port T] [--nodes 1-9] [--cluster NAME]");
            }
            return new Options(home, data, http, transport, nodes, cluster);
        }
    }
}
