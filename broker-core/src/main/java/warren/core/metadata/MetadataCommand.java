package warren.core.metadata;

import java.util.Map;
import java.util.Set;

/**
 * A change to the definitions (the seeds' replicated state). A standalone node applies it at
 * once; a clustered node broadcasts it and every running member applies it in the same total
 * order, so conflicting changes resolve the same way everywhere (the first wins, the second
 * fails with the same 406 on every node). Applying a command is deterministic: it depends only
 * on the command and the definitions before it.
 */
public sealed interface MetadataCommand {

    /** The vhost the command concerns, or null for users. */
    String vhost();

    record DeclareExchange(String vhost, String name, String type, boolean durable, boolean autoDelete,
                           boolean internal, Map<String, Object> arguments) implements MetadataCommand {
    }

    record DeleteExchange(String vhost, String name, boolean ifUnused) implements MetadataCommand {
    }

    /** A shared (non-exclusive) queue; {@code homeNode} is where its messages live. */
    record DeclareQueue(String vhost, String name, boolean durable, boolean autoDelete, Map<String, Object> arguments,
                        String homeNode) implements MetadataCommand {
    }

    /**
     * An exclusive queue, made known to every node so that its bindings route to it from anywhere
     * and other nodes' connections are refused (405) as its owner's node refuses them. Not stored and
     * not versioned: it dies with its connection. {@code incarnation} tells this queue from a later one
     * of the same name.
     */
    record DeclareExclusiveQueue(String vhost, String name, boolean durable, boolean autoDelete,
                                 Map<String, Object> arguments, String homeNode, String incarnation)
            implements MetadataCommand {
    }

    /** The exclusive queue {@code incarnation} is gone (its connection closed, or it was deleted). */
    record DropExclusiveQueue(String vhost, String name, String incarnation) implements MetadataCommand {
    }

    /** Removes a queue's definition and bindings; its home node has already checked if-unused/if-empty. */
    record DeleteQueue(String vhost, String name) implements MetadataCommand {
    }

    record Bind(String vhost, String source, String destination, boolean toExchange, String routingKey,
                Map<String, Object> arguments) implements MetadataCommand {
    }

    record Unbind(String vhost, String source, String destination, boolean toExchange, String routingKey,
                  Map<String, Object> arguments) implements MetadataCommand {
    }

    record PutVhost(String vhost) implements MetadataCommand {
    }

    record DeleteVhost(String vhost) implements MetadataCommand {
    }

    record PutUser(String name, String passwordHash, Set<String> tags, boolean mustBeNew) implements MetadataCommand {
        @Override
        public String vhost() {
            return null;
        }
    }

    record DeleteUser(String name) implements MetadataCommand {
        @Override
        public String vhost() {
            return null;
        }
    }

    record PutPermission(String vhost, String user, String configure, String write, String read)
            implements MetadataCommand {
    }

    record DeletePermission(String vhost, String user) implements MetadataCommand {
    }

    /**
     * A vhost's limits ({@code set_vhost_limits}): {@code max-connections}, {@code max-queues}; a
     * negative value means no limit. Replaces whatever limits the vhost had.
     */
    record PutVhostLimits(String vhost, Map<String, Long> limits) implements MetadataCommand {
    }

    record ClearVhostLimits(String vhost) implements MetadataCommand {
    }

    /** A user's limits ({@code set_user_limits}): {@code max-connections}, {@code max-channels}. */
    record PutUserLimits(String user, Map<String, Long> limits) implements MetadataCommand {
        @Override
        public String vhost() {
            return null;
        }
    }

    record ClearUserLimits(String user) implements MetadataCommand {
        @Override
        public String vhost() {
            return null;
        }
    }

    /**
     * The cluster's identity, recorded by every member: its name (by default the first node's name, as
     * in RabbitMQ) and the UUID made when the cluster was first formed.
     */
    record PutClusterIdentity(String clusterName, String clusterId) implements MetadataCommand {
        @Override
        public String vhost() {
            return null;
        }
    }

    /**
     * A node is (now) a member of the cluster: {@code type} is {@code disc} or {@code ram};
     * {@code address} is its cluster (dist) endpoint {@code host:port}, the seed others use to rejoin it.
     */
    record PutClusterMember(String node, String type, String address) implements MetadataCommand {
        @Override
        public String vhost() {
            return null;
        }
    }

    /** A node is no longer a member of the cluster. */
    record ForgetClusterMember(String node) implements MetadataCommand {
        @Override
        public String vhost() {
            return null;
        }
    }
}
