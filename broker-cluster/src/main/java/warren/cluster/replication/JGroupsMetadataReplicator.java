package warren.cluster.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.cluster.jgroups.ClusterChannel;
import warren.cluster.jgroups.ClusterException;
import warren.cluster.jgroups.ClusterListener;
import warren.core.metadata.MetadataApplier;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.MetadataReplicator;

/**
 * Definition changes agreed among the running members: a change is broadcast through the
 * cluster channel (total order, SEQUENCER) and applied by every member as it is delivered, so
 * all apply the same changes in the same order and a conflict (two nodes declaring one queue
 * differently) fails the same way everywhere. The submitting node answers its client with its
 * own application's result.
 *
 * <p>As in RabbitMQ, the running nodes are the cluster: there is no majority rule, so a member
 * whose peers are down keeps accepting changes. Joiners receive a snapshot (the definitions as
 * commands) during the join, then the changes after it.
 */
public final class JGroupsMetadataReplicator implements MetadataReplicator, ClusterListener {
    private static final Logger LOG = LoggerFactory.getLogger(JGroupsMetadataReplicator.class);

    private final String nodeName;
    private final AtomicLong operations = new AtomicLong();
    private final ConcurrentHashMap<Long, CompletableFuture<Object>> pending = new ConcurrentHashMap<>();
    private volatile MetadataApplier applier;
    private volatile ClusterChannel channel;
    private volatile List<String> members = List.of();
    private volatile Consumer<List<String>> viewListener = m -> { };

    public JGroupsMetadataReplicator(String nodeName) {
        this.nodeName = nodeName;
    }

    /** The channel this replicator broadcasts on (created with this replicator as its listener). */
    public void attach(ClusterChannel channel) {
        this.channel = channel;
    }

    @Override
    public void bind(MetadataApplier applier) {
        this.applier = applier;
    }

    /** Told the member list (node names, oldest first) at every view change. */
    public void onView(Consumer<List<String>> listener) {
        this.viewListener = listener;
    }

    public List<String> members() {
        return members;
    }

    @Override
    public CompletableFuture<Object> submit(MetadataCommand command) {
        long id = operations.incrementAndGet();
        CompletableFuture<Object> result = new CompletableFuture<>();
        pending.put(id, result);
        byte[] payload = CommandCodec.toBytes(b -> {
            CommandCodec.str(b, nodeName);
            b.writeLong(id);
            CommandCodec.write(b, command);
        });
        try {
            channel.broadcast(payload);
        } catch (ClusterException | RuntimeException e) {
            pending.remove(id);
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    public void onDeliver(String fromNode, byte[] payload) {
        ByteBuf b = Unpooled.wrappedBuffer(payload);
        String origin = CommandCodec.str(b);
        long id = b.readLong();
        MetadataCommand command = CommandCodec.read(b);
        Object value = null;
        RuntimeException error = null;
        try {
            value = applier.apply(command);
        } catch (RuntimeException e) {
            error = e;
            if (!origin.equals(nodeName)) {
                LOG.debug("change {} from {} refused here too: {}", command, origin, e.getMessage());
            }
        }
        if (origin.equals(nodeName)) {
            CompletableFuture<Object> f = pending.remove(id);
            if (f != null) {
                if (error != null) {
                    f.completeExceptionally(error);
                } else {
                    f.complete(value);
                }
            }
        }
    }

    @Override
    public void onViewChange(List<String> newMembers, boolean merged) {
        members = List.copyOf(newMembers);
        LOG.info("cluster members now {}{}", newMembers, merged ? " (partitions merged)" : "");
        try {
            viewListener.accept(members);
        } catch (RuntimeException e) {
            LOG.warn("node {}: recording the cluster view {} failed", nodeName, newMembers, e);
        }
    }

    @Override
    public byte[] snapshot() {
        List<MetadataCommand> commands = applier.snapshot();
        return CommandCodec.toBytes(b -> {
            b.writeInt(commands.size());
            for (MetadataCommand c : commands) {
                CommandCodec.write(b, c);
            }
        });
    }

    @Override
    public void restore(byte[] snapshot) {
        ByteBuf b = Unpooled.wrappedBuffer(snapshot);
        int n = b.readInt();
        int applied = 0;
        for (int i = 0; i < n; i++) {
            MetadataCommand c = CommandCodec.read(b);
            try {
                applier.apply(c);
                applied++;
            } catch (RuntimeException e) {
                // Already here (the joiner's own defaults, e.g. vhost '/'): the snapshot's copy is the same.
                LOG.debug("snapshot entry {} not applied: {}", c, e.getMessage());
            }
        }
        LOG.info("received the cluster's definitions: {} of {} entries applied", applied, n);
    }
}
