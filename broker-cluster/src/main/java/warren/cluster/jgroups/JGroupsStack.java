package warren.cluster.jgroups;

import java.net.InetSocketAddress;
import java.util.List;
import org.jgroups.protocols.BARRIER;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.SEQUENCER;
import org.jgroups.protocols.SERIALIZE;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.protocols.pbcast.STATE_TRANSFER;
import org.jgroups.stack.Protocol;
import warren.cluster.ClusterSettings;
import warren.cluster.security.ClusterCookie;

/**
 * Builds the JGroups protocol list from {@link ClusterSettings}, in code rather than XML so every
 * value comes from our configuration and no file on disk can drift from it.
 *
 * <p>Bottom to top, and why each is there:
 * <ul>
 *   <li>{@code TCP} – clouds and Kubernetes have no IP multicast; {@code port_range=0} so a node
 *       never silently binds a neighbouring port nobody points at; suspect events on so a peer whose
 *       socket closes is suspected at once.</li>
 *   <li>{@code TCPPING} – seeded from our discovery and refreshable ({@link #refreshSeeds}); MERGE3
 *       finds other partitions through it, so a stale list would mean partitions never heal.</li>
 *   <li>{@code MERGE3}, {@code FD_ALL3}, {@code VERIFY_SUSPECT2} – partition healing and failure
 *       detection. No FD_SOCK2: it needs a second port range, and with TCP suspect events the
 *       JGroups manual keeps FD_ALL3 as the second line of defence.</li>
 *   <li>{@link CookieAuth} then {@link CookieEncrypt} – a node with another cookie, or of another
 *       minor version, is refused with a reason; everything else travels AES/CBC-encrypted under
 *       the cookie-derived key.</li>
 *   <li>{@code BARRIER}, {@code NAKACK2}, {@code UNICAST3}, {@code STABLE}, {@code GMS},
 *       {@code MFC}, {@code UFC} – reliable FIFO group and unicast delivery, views, flow control.</li>
 *   <li>{@code SEQUENCER} – total order: every member delivers the same broadcast sequence, which
 *       is what lets each node apply definition changes in one agreed order.</li>
 *   <li>{@code FRAG4}, {@code SERIALIZE} – fragmentation, and headers of the protocols above
 *       encrypted along with the payload.</li>
 *   <li>{@code STATE_TRANSFER} – the joiner gets the coordinator's snapshot inside
 *       {@code connect()}; definitions are small, a {@code byte[]} is enough.</li>
 * </ul>
 */
final class JGroupsStack {

    /** The sample stacks' fragment size: below the 64 KB a single TCP write handles well. */
    private static final int FRAG_SIZE = 60_000;
    private static final long STABLE_MAX_BYTES = 4_000_000;
    private static final long STABLE_GOSSIP_MS = 50_000;
    private static final long NO_SEEDS_JOIN_TIMEOUT_MS = 100;

    private final List<Protocol> protocols;
    private final TCPPING discovery;

    private JGroupsStack(List<Protocol> protocols, TCPPING discovery) {
        this.protocols = protocols;
        this.discovery = discovery;
    }

    static JGroupsStack build(ClusterSettings settings) {
        ClusterSettings.Timeouts t = settings.timeouts();
        ClusterCookie cookie = ClusterCookie.of(settings.cookie());

        TCP tcp = new TCP()
                .setBindAddr(settings.bindAddress())
                .setBindPort(settings.bindPort())
                .setPortRange(0);
        tcp.enableSuspectEvents(true);
        // Definition changes are small request/response exchanges (a forward to the sequencer, its
        // broadcast back): with Nagle's algorithm on they wait for delayed ACKs, and clients on nodes
        // other than the coordinator were many times slower (docs/benchmarks.md, Cluster definitions).
        tcp.tcpNodelay(true);

        // return_entire_cache: any member answers with every member, the coordinator marked, so a node can join
        // through a member that is not the coordinator (join_cluster rabbit@rabbit2 in the seed transcript)
        TCPPING discovery = new TCPPING().portRange(0).returnEntireCache(true);
        discovery.setInitialHosts(settings.initialHosts());

        MERGE3 merge = new MERGE3()
                .setMinInterval(t.mergeMin().toMillis())
                .setMaxInterval(t.mergeMax().toMillis())
                // JGroups' own default: 1.6 × max_interval, so a missed round is not a partition.
                .setCheckInterval(t.mergeMax().toMillis() * 8 / 5);

        FD_ALL3 failureDetection = new FD_ALL3()
                .setTimeout(t.failureTimeout().toMillis())
                .setInterval(t.heartbeat().toMillis());

        VERIFY_SUSPECT2 verifySuspect = new VERIFY_SUSPECT2().setTimeout(t.verifySuspect().toMillis());

        CookieEncrypt encrypt = new CookieEncrypt();
        // Not the default "AES" (ECB); GCM fails because JGroups passes an IvParameterSpec.
        encrypt.symAlgorithm("AES/CBC/PKCS5Padding");
        encrypt.symIvLength(16);
        encrypt.setSecretKey(cookie.encryptionKey());

        NAKACK2 nakack = new NAKACK2().useMcastXmit(false);

        STABLE stable = new STABLE()
                .setDesiredAverageGossip(STABLE_GOSSIP_MS)
                .setMaxBytes(STABLE_MAX_BYTES);

        // With no peer to contact (a standalone node, a node that stopped last, a formation seed) discovery
        // cannot find anyone: don't wait the full join timeout before forming a cluster of one.
        long joinTimeout = settings.initialHosts().isEmpty() ? NO_SEEDS_JOIN_TIMEOUT_MS : t.join().toMillis();
        GMS gms = new GMS()
                .setJoinTimeout(joinTimeout)
                .setMaxJoinAttempts(t.maxJoinAttempts())
                .setMergeTimeout(t.merge().toMillis())
                .setLeaveTimeout(t.leave().toMillis())
                .setViewAckCollectionTimeout(t.join().toMillis())
                .printLocalAddress(false);

        List<Protocol> protocols = List.of(
                tcp,
                discovery,
                merge,
                failureDetection,
                verifySuspect,
                new CookieAuth(cookie.authToken(), settings.version()),
                encrypt,
                new BARRIER(),
                nakack,
                new UNICAST3(),
                stable,
                gms,
                new MFC(),
                new UFC(),
                new SEQUENCER(),
                new FRAG4().setFragSize(FRAG_SIZE),
                new SERIALIZE(),
                new STATE_TRANSFER());
        return new JGroupsStack(protocols, discovery);
    }

    List<Protocol> protocols() {
        return protocols;
    }

    /**
     * Replaces the hosts TCPPING contacts on its next discovery round (joins and MERGE3 rounds).
     * Synchronized so concurrent refreshes cannot interleave; TCPPING reads the list on its own
     * thread, and a round that still sees the old list only delays healing by one interval.
     */
    synchronized void refreshSeeds(List<InetSocketAddress> seeds) {
        discovery.setInitialHosts(List.copyOf(seeds));
    }
}
