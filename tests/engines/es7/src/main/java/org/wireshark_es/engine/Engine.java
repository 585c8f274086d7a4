// SPDX-License-Identifier: GPL-2.0-or-later
// A real Elasticsearch 7 cluster of one or more nodes in one JVM, built from
// Elastic's server jar and the modules it publishes on Maven Central (see
// ../common/java/.../Cluster.java for the command line and stdin commands).
package org.wireshark_es.engine;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;

public final class Engine extends Cluster<Node> {
    private Engine(Options options) {
        super(options);
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        // What bin/elasticsearch of a default tar distribution sets: GET /
        // shows them, and some clients want the "default" flavor.  The node
        // has x-pack-core, the part of that flavor on Maven Central.
        System.setProperty("es.distribution.flavor", "default");
        System.setProperty("es.distribution.type", "tar");
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("engine");
        LogConfigurator.configureWithoutConfig(Settings.builder().put("logger.level", "WARN").build());
        new Engine(options).run();
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
