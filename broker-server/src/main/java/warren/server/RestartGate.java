package warren.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.jgroups.ClusterChannel;
import warren.cluster.membership.ClusterState;
import warren.cluster.replication.JGroupsMetadataReplicator;
import warren.cluster.replication.JGroupsMetadataReplicator.PeerStatus;
import warren.server.config.WarrenConfig;

/**
 * When a restarting cluster member may open for clients. Every disc node records which peers
 * were still running when it stopped (its last view). At start:
 * <ul>
 * <li>a disc node that saw no peer running (it stopped last) starts at once;</li>
 * <li>any other waits until a peer whose app runs is in its view (that peer stopped later or never
 * stopped; the two merge their definitions), or until every peer it saw running when it stopped
 * is back (they stopped together, e.g. a power cut: together they know everything);</li>
 * <li>a RAM node waits for a running disc node (it keeps no definitions of its own);</li>
 * <li>{@code warrenctl force_boot} ends the wait (or skips the next one) at once.</li>
 * </ul>
 * It waits {@code mnesia_table_loading_retry_limit} rounds of {@code mnesia_table_loading_retry_timeout}
 * ms (RabbitMQ's keys and defaults: 10 × 30 s), then gives up with an error saying whom it waited for.
 * While it waits it is in the cluster's view (it receives every change) but tells the members it is
 * not running, so cluster_status does not list it among the running nodes.
 */
final class RestartGate {
    static final String RETRY_TIMEOUT_KEY = "mnesia_table_loading_retry_timeout";
    static final String RETRY_LIMIT_KEY = "mnesia_table_loading_retry_limit";
    private static final Logger LOG = LoggerFactory.getLogger(RestartGate.class);

    private final String node;
    private final ClusterState state;
    private final List<String> lastSeen;
    private final ClusterChannel channel;
    private final JGroupsMetadataReplicator replicator;
    private final long retryTimeoutMs;
    private final int retryLimit;

    RestartGate(WarrenConfig config, ClusterState state, String node, List<String> lastSeen, ClusterChannel channel,
                JGroupsMetadataReplicator replicator) {
        this.node = node;
        this.state = state;
        this.lastSeen = List.copyOf(lastSeen);
        this.channel = channel;
        this.replicator = replicator;
        this.retryTimeoutMs = Long.parseLong(String.valueOf(config.value(RETRY_TIMEOUT_KEY).orElse("30000")));
        this.retryLimit = Integer.parseInt(String.valueOf(config.value(RETRY_LIMIT_KEY).orElse("10")));
    }

    /** Returns when this node may start; throws IllegalStateException when the retries run out. */
    void await() throws InterruptedException {
        if (decide() != null) {
            return;
        }
        replicator.announce(false, lastSeen);
        int rounds = Math.max(1, retryLimit);
        for (int round = 1; round <= rounds; round++) {
            LOG.info("node {}: waiting up to {} ms for {}; {} retries left", node, retryTimeoutMs, waitingFor(),
                    rounds - round);
            long deadline = System.nanoTime() + retryTimeoutMs * 1_000_000;
            while (System.nanoTime() < deadline) {
                if (decide() != null) {
                    return;
                }
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException(failure(rounds));
    }

    /** Why this node may start now, logged; null while it must wait. */
    private String decide() {
        String reason = reason();
        if (reason != null) {
            LOG.info("node {} starts: {}", node, reason);
        }
        return reason;
    }

    private String reason() {
        if (state.forceBoot()) {
            state.forceBoot(false);
            LOG.warn("node {} is forced to boot (warrenctl force_boot) without {}: changes made on {} after this "
                    + "node stopped are missing here until they return, then their definitions merge with these",
                    node, waitingFor(), peersSeen());
            return "forced (force_boot)";
        }
        List<String> view = channel.members().stream().filter(m -> !m.equals(node)).toList();
        Map<String, PeerStatus> statuses = replicator.statuses();
        if (isRam()) {
            for (String m : view) {
                ClusterState.Member member = state.member(m);
                PeerStatus s = statuses.get(m);
                if (member != null && ClusterState.DISC.equals(member.type()) && s != null && s.running()) {
                    return "disc node " + m + " is running";
                }
            }
            return null;
        }
        List<String> peers = peersSeen();
        if (peers.isEmpty()) {
            return "it stopped last (no peer was running when it stopped)";
        }
        for (String m : view) {
            PeerStatus s = statuses.get(m);
            if (s != null && s.running()) {
                return "peer " + m + " is running; definitions merged with it";
            }
        }
        if (view.containsAll(peers)) {
            return "every peer that was running when it stopped (" + peers + ") is back";
        }
        return null;
    }

    private boolean isRam() {
        return ClusterState.RAM.equals(state.ownType());
    }

    /** The peers seen running at the last stop that are still members. */
    private List<String> peersSeen() {
        List<String> out = new ArrayList<>();
        for (String m : lastSeen) {
            if (state.member(m) != null) {
                out.add(m);
            }
        }
        return out;
    }

    private String waitingFor() {
        if (isRam()) {
            return "a running disc node of " + state.nodesOfType(ClusterState.DISC).stream().filter(n -> !n.equals(node))
                    .toList();
        }
        return "a running peer or all of " + peersSeen() + " (running when this node stopped)";
    }

    private String failure(int rounds) {
        Set<String> disc = new TreeSet<>(state.nodesOfType(ClusterState.DISC));
        disc.remove(node);
        if (isRam()) {
            return "node " + node + " is a RAM node and cannot start without a running disc node of its cluster; "
                    + "waited " + rounds + " x " + retryTimeoutMs + " ms for one of " + disc + ". Start a disc node "
                    + "first (RAM nodes keep no definitions of their own)";
        }
        return "node " + node + " waited " + rounds + " x " + retryTimeoutMs + " ms for " + waitingFor()
                + ": they may have changed definitions after this node stopped. Start one of them, or if they are "
                + "gone for good run 'warrenctl -n " + node + " force_boot' (while this node waits, or before "
                + "starting it again) to start without them; " + RETRY_LIMIT_KEY + " and " + RETRY_TIMEOUT_KEY
                + " set how long to wait";
    }
}
