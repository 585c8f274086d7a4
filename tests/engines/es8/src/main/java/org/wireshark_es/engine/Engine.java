// SPDX-License-Identifier: GPL-2.0-or-later
// A real Elasticsearch cluster of one or more nodes in one JVM, built from
// Elastic's server jar and its Netty 4 module on Maven Central, for the
// tests and the main job.  Node i listens on 127.0.0.1, HTTP port P+i,
// transport port T+i, and keeps its data in DATA/node-i.
//
//   Engine --home HOME --data DATA --http-port P --transport-port T [--nodes N]
//
// Standard input takes commands, one per line: "stop I" closes node I,
// "start I" starts it again on its data; end of input changes nothing.
// Each started node prints "started I http://127.0.0.1:PORT".
package org.wireshark_es.engine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

public final class Engine {
    private final Options options;
    private final Node[] nodes;

    private Engine(Options options) {
        this.options = options;
        this.nodes = new Node[options.nodes];
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("engine");
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(Settings.builder().put("logger.level", "WARN").build());
        Engine engine = new Engine(options);
        Runtime.getRuntime().addShutdownHook(new Thread(engine::stopAll));
        for (int i = 0; i < options.nodes; i++) {
            engine.start(i);
        }
        engine.readCommands();
        Thread.currentThread().join();
    }

    private Settings nodeSettings(int i) {
        Settings.Builder s = Settings.builder()
            .put("cluster.name", options.cluster)
            .put("node.name", "node-" + i)
            .put("path.home", options.home.toString())
            .put("path.data", options.data.resolve("node-" + i).toString())
            .put("path.logs", options.data.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", options.httpPort + i)
            .put("transport.port", options.transportPort + i)
            // The tests' scratch disks fill up; a real cluster's watermarks
            // would make their indices read-only halfway through a run.
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        if (options.nodes == 1) {
            s.put("discovery.type", "single-node");
        } else {
            List<String> seeds = new ArrayList<>();
            List<String> masters = new ArrayList<>();
            for (int j = 0; j < options.nodes; j++) {
                seeds.add("127.0.0.1:" + (options.transportPort + j));
                masters.add("node-" + j);
            }
            s.putList("discovery.seed_hosts", seeds).putList("cluster.initial_master_nodes", masters);
        }
        return s.build();
    }

    private synchronized void start(int i) throws Exception {
        if (nodes[i] != null) {
            return;
        }
        Settings settings = nodeSettings(i);
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "node-" + i);
        // The server jar runs on the class path, not as a module: no
        // qualified exports to hand to the modules.
        PluginsLoader loader = PluginsLoader.createPluginsLoader(
            PluginsLoader.loadModulesBundles(env.modulesDir()), Set.of(), Map.of(), false);
        nodes[i] = new Node(env, loader).start();
        System.out.println("started " + i + " http://127.0.0.1:" + (options.httpPort + i));
        System.out.flush();
    }

    private synchronized void stop(int i) {
        Node node = nodes[i];
        nodes[i] = null;
        if (node == null) {
            return;
        }
        try {
            node.close();
            node.awaitClose(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("stopping node " + i + ": " + e);
        }
        System.out.println("stopped " + i);
        System.out.flush();
    }

    private void stopAll() {
        for (int i = 0; i < nodes.length; i++) {
            stop(i);
        }
    }

    private void readCommands() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            if (words.length != 2 || !words[1].matches("\\d+") || Integer.parseInt(words[1]) >= nodes.length) {
                System.err.println("commands: stop I | start I (I < " + nodes.length + ")");
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

    private record Options(Path home, Path data, int httpPort, int transportPort, int nodes, String cluster) {
        static Options parse(String[] args) {
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
            if (home == null || data == null || nodes < 1 || nodes > 9) {
                throw new IllegalArgumentException(
                    "usage: Engine --home HOME --data DATA [--http-port P] [--transport-port T] [--nodes 1-9]");
            }
            return new Options(home, data, http, transport, nodes, cluster);
        }
    }
}
