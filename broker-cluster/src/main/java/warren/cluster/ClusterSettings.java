package warren.cluster;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import warren.core.broker.BrokerSettings;

/**
 * What a node needs to take part in the cluster's group communication.
 *
 * @param nodeName     this node's name ({@code prefix@host}); becomes the JGroups logical name so
 *                     views list node names, not UUIDs
 * @param bindAddress  interface the cluster port listens on (the daemon passes its own; tests use
 *                     127.0.0.1)
 * @param bindPort     cluster port ({@code WARREN_DIST_PORT}, by default AMQP port + 20000)
 * @param initialHosts seeds to contact when joining: the join target, peers seen last time,
 *                     discovery results; empty means "form a new cluster"
 * @param cookie       the shared secret; kept out of {@link #toString()}
 * @param timeouts     failure detection, join and merge timings
 * @param version      the Warren version this node announces when joining; members refuse a joiner
 *                     of another major or minor version ({@link warren.cluster.membership.VersionRule}).
 *                     The daemon uses {@link BrokerSettings#VERSION}, the version AMQP clients and
 *                     {@code warrenctl status} see; tests set others with {@link #withVersion}
 */
public record ClusterSettings(
        String nodeName,
        InetAddress bindAddress,
        int bindPort,
        List<InetSocketAddress> initialHosts,
        String cookie,
        Timeouts timeouts,
        String version) {

    /** Cluster port = AMQP port + this, as RabbitMQ's distribution port is. */
    public static final int DIST_PORT_OFFSET = 20000;

    public ClusterSettings {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(cookie, "cookie");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(version, "version");
        if (version.isBlank()) {
            throw new IllegalArgumentException("the node's Warren version is blank");
        }
        if (bindPort < 1 || bindPort > 65535) {
            throw new IllegalArgumentException("cluster port " + bindPort + " is outside 1..65535 (WARREN_DIST_PORT)");
        }
        initialHosts = List.copyOf(initialHosts);
    }

    /** Settings announcing this build's version ({@link BrokerSettings#VERSION}). */
    public ClusterSettings(String nodeName, InetAddress bindAddress, int bindPort, List<InetSocketAddress> initialHosts,
            String cookie, Timeouts timeouts) {
        this(nodeName, bindAddress, bindPort, initialHosts, cookie, timeouts, BrokerSettings.VERSION);
    }

    public static int defaultPort(int amqpPort) {
        return amqpPort + DIST_PORT_OFFSET;
    }

    /** Settings for in-process tests: loopback, short timeouts. */
    public static ClusterSettings fast(String nodeName, int bindPort, List<InetSocketAddress> seeds, String cookie) {
        return new ClusterSettings(nodeName, InetAddress.getLoopbackAddress(), bindPort, seeds, cookie, Timeouts.fast());
    }

    public ClusterSettings withInitialHosts(List<InetSocketAddress> hosts) {
        return new ClusterSettings(nodeName, bindAddress, bindPort, hosts, cookie, timeouts, version);
    }

    /** The same settings announcing another version (tests of the version rule). */
    public ClusterSettings withVersion(String otherVersion) {
        return new ClusterSettings(nodeName, bindAddress, bindPort, initialHosts, cookie, timeouts, otherVersion);
    }

    @Override
    public String toString() {
        return "ClusterSettings[nodeName=" + nodeName + ", bind=" + bindAddress.getHostAddress() + ":" + bindPort
                + ", initialHosts=" + initialHosts + ", cookie=<redacted>, timeouts=" + timeouts + ", version="
                + version + "]";
    }

    /**
     * Timings of the protocols that decide membership. Production values follow the JGroups sample
     * stacks, with failure detection tightened (20 s / 4 s) so a dead broker leaves the view in
     * well under a minute; {@link #fast()} shrinks everything so tests finish in seconds.
     *
     * @param join            how long a JOIN request waits for the coordinator's answer
     * @param maxJoinAttempts JOIN retries before a node gives up and forms a singleton
     * @param failureTimeout  silence after which FD_ALL3 suspects a member
     * @param heartbeat       FD_ALL3 heartbeat interval
     * @param verifySuspect   VERIFY_SUSPECT2 re-check before exclusion
     * @param mergeMin        MERGE3 lower bound between INFO messages
     * @param mergeMax        MERGE3 upper bound between INFO messages
     * @param merge           how long a merge may take
     * @param leave           how long a graceful leave waits for the new view
     * @param stateTransfer   how long a joiner waits for the coordinator's snapshot
     */
    public record Timeouts(
            Duration join,
            int maxJoinAttempts,
            Duration failureTimeout,
            Duration heartbeat,
            Duration verifySuspect,
            Duration mergeMin,
            Duration mergeMax,
            Duration merge,
            Duration leave,
            Duration stateTransfer) {

        public static Timeouts production() {
            return new Timeouts(Duration.ofSeconds(2), 10, Duration.ofSeconds(20), Duration.ofSeconds(4),
                    Duration.ofMillis(1500), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(5),
                    Duration.ofSeconds(1), Duration.ofSeconds(30));
        }

        /** These timings with another number of JOIN attempts. */
        public Timeouts withMaxJoinAttempts(int attempts) {
            return new Timeouts(join, attempts, failureTimeout, heartbeat, verifySuspect, mergeMin, mergeMax, merge,
                    leave, stateTransfer);
        }

        public static Timeouts fast() {
            return new Timeouts(Duration.ofMillis(1000), 3, Duration.ofSeconds(3), Duration.ofMillis(500),
                    Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(1500), Duration.ofSeconds(3),
                    Duration.ofMillis(500), Duration.ofSeconds(5));
        }
    }
}
