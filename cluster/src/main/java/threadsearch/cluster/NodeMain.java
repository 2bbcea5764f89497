package threadsearch.cluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/**
 * Starts one OpenSearch node in this JVM, for development and tests only.
 *
 * <p>Every argument is a setting, {@code key=value}, handed to the node unchanged: the Python
 * side (cluster/launch.py) decides names, ports, paths and discovery. The node runs the real
 * HTTP and transport layers (Netty 4) and the common analysis chains, loaded from the class
 * path instead of a plugins folder, which is what Node's protected constructor is for. It
 * stops cleanly on SIGTERM; a SIGKILL is a node crash, which is what the fault test wants.
 */
public final class NodeMain extends Node {
    private NodeMain(Settings settings) {
        super(
            InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), null, () -> settings.get("node.name")),
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class),
            false);
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder()
            .put("http.type", "netty4")
            .put("transport.type", "netty4");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got: " + arg);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        LogConfigurator.configureWithoutConfig(settings);
        Node node = new NodeMain(settings);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception exc) {
                exc.printStackTrace();
            } finally {
                closed.countDown();
            }
        }));
        node.start();
        System.out.println("threadsearch-cluster: started " + settings.get("node.name"));
        closed.await();
    }
}
