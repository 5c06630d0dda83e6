package warren.server.control;

import java.util.Map;
import warren.core.broker.AdminException;

/** What the control listener may ask of the daemon itself, beyond the broker's admin surface. */
public interface DaemonActions {

    /** Daemon-level status: node name, pid, listeners, directories, uptime. */
    Map<String, Object> nodeStatus();

    /**
     * await_startup: returns once the app serves AMQP (store recovered, cluster joined, listener
     * accepting); refuses with kind {@code not_running} (app stopped), {@code boot_failed} (with the
     * reason) or {@code timeout}. The default suits nodes without a boot phase (tests): running at once.
     */
    default void awaitStartup(long timeoutMillis) {
    }

    /** stop_app: stops the app (AMQP listener, cluster channel, broker, store); the node stays up. */
    default void stopApp() {
        throw unsupported();
    }

    /** start_app: starts the app, joining the pending join target or the recorded members. */
    default void startApp() {
        throw unsupported();
    }

    /** cluster_status: cluster_name, cluster_id, disk_nodes, ram_nodes, running_nodes. */
    default Map<String, Object> clusterStatus() {
        throw unsupported();
    }

    /** formation_status: the named formation state (warren.server.FormationStatus), also while booting. */
    default Map<String, Object> formationStatus() {
        throw unsupported();
    }

    /** discover_peers: what the backend returns now, with each peer's reachability and compatibility. */
    default Map<String, Object> discoverPeers() {
        throw unsupported();
    }

    /** join_cluster: resets this node (app stopped) and joins {@code node}'s cluster at the next start_app. */
    default void joinCluster(String node, boolean ram) {
        throw unsupported();
    }

    /** reset: wipes definitions, messages and cluster membership (app stopped). */
    default void reset() {
        throw unsupported();
    }

    /** force_reset: reset without telling the cluster (app stopped). */
    default void forceReset() {
        throw unsupported();
    }

    /** forget_cluster_node: every member drops {@code node} (app running; app stopped with {@code offline}). */
    default void forgetClusterNode(String node, boolean offline) {
        throw unsupported();
    }

    /** change_cluster_node_type: disc or ram, applied at the next start_app (app stopped). */
    default void changeNodeType(String type) {
        throw unsupported();
    }

    /** force_boot: start without waiting for the peers seen last (now if the app waits, else at next start). */
    default void forceBoot() {
        throw unsupported();
    }

    /** Begins a clean stop of the whole node; returns at once (the reply must still go out). */
    void requestStop();

    private static AdminException unsupported() {
        return new AdminException("unknown_command", "this node does not support the clustering commands");
    }
}
