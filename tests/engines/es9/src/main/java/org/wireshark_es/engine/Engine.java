// SPDX-License-Identifier: GPL-2.0-or-later
// A real Elasticsearch 9 cluster of one or more nodes in one JVM, built
// from Elastic's server jar and its Netty 4 module on Maven Central (see
// ../common/java/.../Cluster.java for the command line and stdin commands).
// Constructing Node directly, not through Elastic's CLI, leaves the
// entitlements (9.x's replacement of the security manager) off.
package org.wireshark_es.engine;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

public final class Engine extends Cluster<Node> {
    private Engine(Options options) {
        super(options);
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        // As bin/elasticsearch sets it; native libraries are found from it.
        System.setProperty("es.path.home", options.home().toString());
        SystemLibraries.link(options.home(), "zstd", 1);
        // libvec, Elastic's SIMD vector library, has no system counterpart;
        // without this its absence would switch off every native call, zstd
        // too.  Vector similarity then runs in Lucene's Java code.
        System.setProperty("org.elasticsearch.nativeaccess.enableVectorLibrary", "false");
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("engine");
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(Settings.builder().put("logger.level", "WARN").build());
        new Engine(options).run();
    }

    @Override
    protected Node startNode(int i, Map<String, String> settings) throws Exception {
        Settings.Builder s = Settings.builder();
        settings.forEach(s::put);
        Environment env = InternalSettingsPreparer.prepareEnvironment(s.build(), Map.of(), null, () -> "node-" + i);
        // The server jar runs on the class path, not as a module: no
        // qualified exports to hand to the modules.
        PluginsLoader loader = PluginsLoader.createPluginsLoader(
            PluginsLoader.loadModulesBundles(env.modulesDir(), false), Set.of(), Map.of(), false);
        return new OneOfMany(env, loader).start();
    }

    @Override
    protected void closeNode(Node node) throws Exception {
        node.close();
        node.awaitClose(30, TimeUnit.SECONDS);
    }

    /** A node that shares its JVM with others. */
    private static final class OneOfMany extends Node {
        OneOfMany(Environment env, PluginsLoader loader) {
            super(env, loader);
        }

        // The node and cluster ids shown in log lines are set once per JVM;
        // a second node would fail to set them on every cluster state.
        @Override
        protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {
        }
    }
}
