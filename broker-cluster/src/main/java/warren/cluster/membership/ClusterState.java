package warren.cluster.membership;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import warren.core.metadata.ClusterMembershipHook;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.MetadataCommand.ForgetClusterMember;
import warren.core.metadata.MetadataCommand.PutClusterIdentity;
import warren.core.metadata.MetadataCommand.PutClusterMember;

/**
 * One node's view of its cluster, kept in {@code <data dir>/cluster.state} (a properties file,
 * replaced atomically at every change): the cluster's name and id, the members with their type
 * (disc or ram) and cluster address, the members last seen running, this node's own type, and a
 * pending join (set by join_cluster, cleared once start_app has joined).
 *
 * <p>Members, name and id are replicated: they change only through membership commands applied in
 * the agreed order ({@link #apply}), so every member records the same. Thread-safe.
 */
public final class ClusterState implements ClusterMembershipHook {

    /** A member: its node name, {@code disc} or {@code ram}, and its cluster endpoint {@code host:port}. */
    public record Member(String node, String type, String address) {
    }

    public static final String DISC = "disc";
    public static final String RAM = "ram";
    public static final String FILE_NAME = "cluster.state";

    private final Path file;
    private String clusterName;
    private String clusterId;
    private String ownType = DISC;
    private String joinTarget;
    private String joinSeed;
    private boolean forceBoot;
    private final Map<String, Member> members = new TreeMap<>();
    private List<String> running = List.of();
    /** While a restarting member checks the cluster it reached: the membership commands received, held back. */
    private List<MetadataCommand> heldBack;
    private String checkingNode;

    private ClusterState(Path file) {
        this.file = file;
    }

    /** Loads {@code <dataDir>/cluster.state}; a missing file is a fresh node (no cluster yet, disc). */
    public static ClusterState load(Path dataDir) {
        ClusterState s = new ClusterState(dataDir.resolve(FILE_NAME));
        if (!Files.isRegularFile(s.file)) {
            return s;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(s.file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cluster state " + s.file + " cannot be read (" + e.getMessage()
                    + "); fix its permissions, or run 'warrenctl reset' to start this node afresh", e);
        }
        s.clusterName = p.getProperty("cluster_name");
        s.clusterId = p.getProperty("cluster_id");
        s.ownType = p.getProperty("node_type", DISC);
        s.joinTarget = p.getProperty("join_target");
        s.joinSeed = p.getProperty("join_seed");
        s.forceBoot = Boolean.parseBoolean(p.getProperty("force_boot", "false"));
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("member.")) {
                String node = key.substring("member.".length());
                String[] v = p.getProperty(key).split(",", 2);
                s.members.put(node, new Member(node, v[0], v.length > 1 ? v[1] : ""));
            }
        }
        String r = p.getProperty("running", "");
        s.running = r.isEmpty() ? List.of() : List.of(r.split(","));
        return s;
    }

    public synchronized String clusterName() {
        return clusterName;
    }

    public synchronized String clusterId() {
        return clusterId;
    }

    public synchronized String ownType() {
        return ownType;
    }

    public synchronized String joinTarget() {
        return joinTarget;
    }

    public synchronized String joinSeed() {
        return joinSeed;
    }

    public synchronized List<Member> members() {
        return List.copyOf(members.values());
    }

    public synchronized Member member(String node) {
        return members.get(node);
    }

    /** Members last seen running (the current view while the app runs). */
    public synchronized List<String> running() {
        return running;
    }

    public synchronized List<String> nodesOfType(String type) {
        return members.values().stream().filter(m -> m.type().equals(type)).map(Member::node).toList();
    }

    /** Set by {@code warrenctl force_boot}: the next (or current) start need not wait for its peers. */
    public synchronized boolean forceBoot() {
        return forceBoot;
    }

    public synchronized void forceBoot(boolean on) {
        forceBoot = on;
        save();
    }

    /** Records the members of the current view. */
    public synchronized void recordRunning(List<String> nodes) {
        running = List.copyOf(nodes);
        save();
    }

    /** This node's own type, applied to the cluster's record at the next start_app. */
    public synchronized void ownType(String type) {
        ownType = type;
        save();
    }

    /**
     * Forgets everything (reset / join_cluster): no cluster, no members; {@code target} and
     * {@code seed} (host:port) are the pending join, or null for a plain reset.
     */
    public synchronized void resetTo(String type, String target, String seed) {
        clusterName = null;
        clusterId = null;
        members.clear();
        running = List.of();
        ownType = type;
        joinTarget = target;
        joinSeed = seed;
        save();
    }

    /** The pending join is done (or abandoned). */
    public synchronized void clearJoin() {
        joinTarget = null;
        joinSeed = null;
        save();
    }

    /**
     * A member that recorded a cluster starts its app: until {@link #endRejoinCheck} the membership
     * commands it receives (the snapshot of the cluster it reached, then live changes) are held back
     * instead of recorded, so that a cluster that forgot this node, or another cluster, cannot
     * overwrite what it recorded.
     */
    public synchronized void beginRejoinCheck(String node) {
        heldBack = new ArrayList<>();
        checkingNode = node;
    }

    /**
     * Ends the check begun by {@link #beginRejoinCheck}: when {@code peer}'s cluster sent its
     * membership and either its id differs from the recorded one or it does not list {@code node},
     * nothing is recorded and {@link InconsistentClusterException} is thrown; otherwise the held
     * commands are recorded in order.
     */
    public synchronized void endRejoinCheck(String node, String peer) {
        List<MetadataCommand> held = heldBack;
        heldBack = null;
        if (held == null) {
            return;
        }
        if (peer != null && refuses(held, node)) {
            throw new InconsistentClusterException(node, peer);
        }
        held.forEach(this::apply);
    }

    @Override
    public synchronized boolean belongsToReachedCluster() {
        return heldBack == null || checkingNode == null || !refuses(heldBack, checkingNode);
    }

    /** The held membership came from a cluster with another id, or one that does not list {@code node}. */
    private boolean refuses(List<MetadataCommand> held, String node) {
        String theirId = null;
        boolean listsNode = false;
        boolean sawMembership = false;
        for (MetadataCommand c : held) {
            if (c instanceof PutClusterIdentity i) {
                theirId = i.clusterId();
                sawMembership = true;
            } else if (c instanceof PutClusterMember m) {
                listsNode |= m.node().equals(node);
                sawMembership = true;
            } else if (c instanceof ForgetClusterMember f && f.node().equals(node)) {
                listsNode = false;
            }
        }
        return sawMembership && clusterId != null
                && (!listsNode || (theirId != null && !theirId.equals(clusterId)));
    }

    /** The app did not start: the held membership commands are dropped. */
    public synchronized void cancelRejoinCheck() {
        heldBack = null;
    }

    @Override
    public synchronized void apply(MetadataCommand command) {
        if (heldBack != null && (command instanceof PutClusterIdentity || command instanceof PutClusterMember
                || command instanceof ForgetClusterMember)) {
            heldBack.add(command);
            return;
        }
        if (command instanceof PutClusterIdentity c) {
            clusterName = c.clusterName();
            clusterId = c.clusterId();
        } else if (command instanceof PutClusterMember c) {
            members.put(c.node(), new Member(c.node(), c.type(), c.address()));
        } else if (command instanceof ForgetClusterMember c) {
            members.remove(c.node());
        } else {
            return;
        }
        save();
    }

    @Override
    public synchronized List<MetadataCommand> snapshot() {
        List<MetadataCommand> out = new ArrayList<>();
        if (clusterId != null) {
            out.add(new PutClusterIdentity(clusterName, clusterId));
        }
        for (Member m : members.values()) {
            out.add(new PutClusterMember(m.node(), m.type(), m.address()));
        }
        return out;
    }

    private void save() {
        Properties p = new Properties();
        put(p, "cluster_name", clusterName);
        put(p, "cluster_id", clusterId);
        put(p, "node_type", ownType);
        put(p, "join_target", joinTarget);
        put(p, "join_seed", joinSeed);
        if (forceBoot) {
            p.setProperty("force_boot", "true");
        }
        for (Member m : members.values()) {
            p.setProperty("member." + m.node(), m.type() + "," + m.address());
        }
        p.setProperty("running", String.join(",", running));
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "Warren cluster state; written by the node, do not edit");
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cluster state " + file + " cannot be written (" + e.getMessage()
                    + "); check that the data directory is writable", e);
        }
    }

    private static void put(Properties p, String key, String value) {
        if (value != null) {
            p.setProperty(key, value);
        }
    }

    @Override
    public synchronized String toString() {
        return "ClusterState[name=" + clusterName + ", id=" + clusterId + ", type=" + ownType + ", members="
                + members.keySet() + ", running=" + running + (joinTarget == null ? "" : ", joining " + joinTarget)
                + "]";
    }
}
