// SPDX-License-Identifier: GPL-2.0-or-later
// A real OpenSearch 3 cluster of one or more nodes in one JVM, built from
// OpenSearch's server jar and its modules on Maven Central (see
// ../common/java/.../Cluster.java for the command line and stdin commands).
package org.wireshark_es.engine;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;

public final class Engine extends Cluster<Node> {
    private Engine(Options options) {
        super(options);
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("engine");
        LogConfigurator.configureWithoutConfig(Settings.builder().put("logger.level", "WARN").build());
        new Engine(options).run();
    }

    @Override
    protected String initialManagersSetting() {
        return "cluster.initial_cluster_manager_nodes";
    }

    @Override
    protected Node startNode(int i, Map<String, String> settings) throws Exception {
        Settings.Builder s = Settings.builder();
        settings.forEach(s::put);
        Environment env = InternalSettingsPreparer.prepareEnvironment(s.build(), Map.of(), null, () -> "node-" + i);
        return new OneOfMany(env).start();
    }

    @Override
    protected void closeNode(Node node) throws Exception {
        node.close();
        node.awaitClose(30, TimeUnit.SECONDS);
    }

    /**
     * A node that shares its JVM with others.  It loads the modules from
     * HOME/modules, each with its own class loader, as a distribution does.
     */
    private static final class OneOfMany extends Node {
        OneOfMany(Environment env) {
            super(env);
        }

        // The node and cluster ids shown in log lines are set once per JVM;
        // a second node would fail to set them on every cluster state.
        @Override
        protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {
        }
    }
}
