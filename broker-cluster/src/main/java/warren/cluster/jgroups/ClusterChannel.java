package warren.cluster.jgroups;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.MergeView;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.util.NameCache;
import org.jgroups.util.Util;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.ClusterSettings;

/**
 * This node's membership in the cluster: one JGroups channel, presented in node names.
 *
 * <p>Callers never see JGroups {@code Address}es: the logical name of the channel is the node name,
 * so views, senders and the coordinator are reported as {@code prefix@host}.
 *
 * <p><b>Exact snapshot cut.</b> JGroups takes the state after reopening its barrier, so a broadcast
 * delivered on the coordinator between the digest and {@link ClusterListener#snapshot()} would be in
 * the snapshot <em>and</em> delivered again to the joiner. To make the cut exact, each broadcast
 * carries a per-sender sequence number (SEQUENCER keeps each sender's messages in order), the
 * snapshot carries the last number applied from every member, and the joiner skips what the
 * snapshot already contains.
 */
public final class ClusterChannel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterChannel.class);

    private final ClusterSettings settings;
    private final ClusterListener listener;
    private final JGroupsStack stack;
    private final JChannel channel;
    private final AtomicLong sent = new AtomicLong();
    /** Held while numbering and sending a broadcast, so numbers leave this node in order. */
    private final Object sendLock = new Object();
    private final Object deliveryLock = new Object();
    /** Last sequence number applied per sender; guarded by {@link #deliveryLock}. */
    private final Map<Address, Long> applied = new HashMap<>();
    private volatile View view;

    public ClusterChannel(ClusterSettings settings, ClusterListener listener) throws ClusterException {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.stack = JGroupsStack.build(settings);
        try {
            this.channel = new JChannel(stack.protocols());
        } catch (Exception e) {
            throw new ClusterException("cannot build the cluster stack for " + settings.nodeName() + ": " + e, e);
        }
        channel.name(settings.nodeName());
        channel.receiver(new ChannelReceiver());
    }

    /**
     * Joins the cluster reachable through the seeds, receiving the coordinator's snapshot, or forms
     * a new one when no member answers.
     *
     * @throws ClusterJoinRefusedException a member refused us (the cookie or the major.minor version
     *                                     differs); retrying won't help
     * @throws ClusterException            the port is taken, the state did not arrive in time, …
     */
    public void start(String clusterName) throws ClusterException {
        try {
            channel.connect(clusterName, null, settings.timeouts().stateTransfer().toMillis());
        } catch (Exception e) {
            SecurityException refusal = findRefusal(e);
            channel.close();
            if (refusal != null) {
                String reason = refusal.getMessage() != null && refusal.getMessage().startsWith(CookieAuth.REFUSAL_PREFIX)
                        ? refusal.getMessage()
                        : "cluster join refused: " + refusal.getMessage();
                LOG.error("{} (node {}, cluster port {})", reason, settings.nodeName(), settings.bindPort());
                throw new ClusterJoinRefusedException(reason, e);
            }
            throw new ClusterException("node " + settings.nodeName() + " could not join or form cluster '"
                    + clusterName + "' on " + settings.bindAddress().getHostAddress() + ":" + settings.bindPort()
                    + " (check WARREN_DIST_PORT is free and the seeds " + settings.initialHosts() + "): " + e, e);
        }
        LOG.info("node {} is a member of cluster '{}': {}", settings.nodeName(), clusterName, members());
    }

    /**
     * Sends {@code payload} to every member, this one included; all deliver broadcasts in one order.
     * Safe to call from many threads: numbering and sending happen under one lock, so this node's
     * broadcasts enter the channel in number order (receivers drop a number at or below the last
     * one they applied from this node, see {@link ChannelReceiver#receive}).
     */
    public void broadcast(byte[] payload) throws ClusterException {
        try {
            synchronized (sendLock) {
                byte[] envelope = ByteBuffer.allocate(Long.BYTES + payload.length)
                        .putLong(sent.incrementAndGet())
                        .put(payload)
                        .array();
                channel.send(new BytesMessage(null, envelope));
            }
        } catch (Exception e) {
            throw new ClusterException("node " + settings.nodeName() + " could not broadcast: " + e, e);
        }
    }

    /** Node names of the current view, oldest first; empty before {@link #start}. */
    public List<String> members() {
        View current = view;
        return current == null ? List.of() : current.getMembers().stream().map(ClusterChannel::nameOf).toList();
    }

    /** The oldest member, which orders broadcasts and serves snapshots; null before {@link #start}. */
    public String coordinator() {
        View current = view;
        return current == null ? null : nameOf(current.getCoord());
    }

    /** New seeds for later discovery rounds (MERGE3 finds partitions through them). */
    public void refreshSeeds(List<InetSocketAddress> seeds) {
        stack.refreshSeeds(seeds);
    }

    public String nodeName() {
        return settings.nodeName();
    }

    /** For tests that inject faults (DISCARD) into the stack. */
    JChannel jchannel() {
        return channel;
    }

    /** False once closed (or before it was started). */
    public boolean isOpen() {
        return channel.isConnected();
    }

    @Override
    public void close() {
        channel.close();
    }

    /**
     * The member's node name. A coordinator may install a view with a joiner whose name it has not
     * learned yet (the joiner discovered the cluster through another member); until its own discovery
     * request arrives the address stands in, and {@link #members()} reports the name once known.
     */
    private static String nameOf(Address address) {
        String name = NameCache.get(address);
        return name != null ? name : String.valueOf(address);
    }

    private static SecurityException findRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SecurityException se) {
                return se;
            }
        }
        return null;
    }

    private final class ChannelReceiver implements Receiver {

        @Override
        public void viewAccepted(View newView) {
            view = newView;
            synchronized (deliveryLock) {
                applied.keySet().retainAll(newView.getMembers());
            }
            boolean merged = newView instanceof MergeView;
            List<String> names = newView.getMembers().stream().map(ClusterChannel::nameOf).toList();
            LOG.info("node {}: cluster view {}{}", settings.nodeName(), names, merged ? " (partitions merged)" : "");
            try {
                listener.onViewChange(names, merged);
            } catch (RuntimeException e) {
                // never into JGroups: a failure here would leave this member without the new view
                LOG.error("node {}: handling cluster view {} failed", settings.nodeName(), names, e);
            }
        }

        @Override
        public void receive(Message msg) {
            ByteBuffer envelope = ByteBuffer.wrap(msg.getArray(), msg.getOffset(), msg.getLength());
            long seq = envelope.getLong();
            byte[] payload = new byte[envelope.remaining()];
            envelope.get(payload);
            Address from = msg.getSrc();
            synchronized (deliveryLock) {
                if (seq <= applied.getOrDefault(from, 0L)) {
                    return; // already contained in the snapshot this node started from
                }
                applied.put(from, seq);
                listener.onDeliver(nameOf(from), payload);
            }
        }

        @Override
        public void getState(OutputStream output) throws Exception {
            DataOutputStream out = new DataOutputStream(output);
            synchronized (deliveryLock) {
                out.writeInt(applied.size());
                for (Map.Entry<Address, Long> e : applied.entrySet()) {
                    Util.writeAddress(e.getKey(), out);
                    out.writeLong(e.getValue());
                }
                byte[] snapshot = listener.snapshot();
                out.writeInt(snapshot.length);
                out.write(snapshot);
            }
            out.flush();
        }

        @Override
        public void setState(InputStream input) throws Exception {
            DataInputStream in = new DataInputStream(input);
            synchronized (deliveryLock) {
                int senders = in.readInt();
                Map<Address, Long> cut = new HashMap<>();
                for (int i = 0; i < senders; i++) {
                    cut.put(Util.readAddress(in), in.readLong());
                }
                int length = in.readInt();
                if (length < 0) {
                    throw new IOException("corrupt cluster snapshot: negative length " + length);
                }
                byte[] snapshot = in.readNBytes(length);
                if (snapshot.length != length) {
                    throw new IOException("truncated cluster snapshot: " + snapshot.length + " of " + length + " bytes");
                }
                applied.clear();
                applied.putAll(cut);
                listener.restore(snapshot);
            }
        }
    }
}
