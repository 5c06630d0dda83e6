package warren.core.broker;

import java.util.List;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ReplyCode;
import warren.core.metadata.ClusterMembershipHook;
import warren.core.metadata.MetadataApplier;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.MetadataCommand.Bind;
import warren.core.metadata.MetadataCommand.DeclareExchange;
import warren.core.metadata.MetadataCommand.DeclareQueue;
import warren.core.metadata.MetadataCommand.DeleteExchange;
import warren.core.metadata.MetadataCommand.DeletePermission;
import warren.core.metadata.MetadataCommand.DeleteQueue;
import warren.core.metadata.MetadataCommand.DeleteUser;
import warren.core.metadata.MetadataCommand.DeleteVhost;
import warren.core.metadata.MetadataCommand.ForgetClusterMember;
import warren.core.metadata.MetadataCommand.PutClusterIdentity;
import warren.core.metadata.MetadataCommand.PutClusterMember;
import warren.core.metadata.MetadataCommand.PutPermission;
import warren.core.metadata.MetadataCommand.PutUser;
import warren.core.metadata.MetadataCommand.PutVhost;
import warren.core.metadata.MetadataCommand.Unbind;
import warren.core.metadata.Version;
import warren.core.metadata.VersionedRecord;
import warren.core.routing.Binding;
import warren.core.security.Permission;
import warren.core.security.User;
import warren.core.store.DefinitionCodec;
import warren.core.store.DefinitionRecord;

/**
 * Applies agreed definition changes to this node: the in-memory model and, for durable things,
 * the store. Deterministic: the same command on the same state gives the same result or error on
 * every node.
 */
final class BrokerApplier implements MetadataApplier {
    private final Broker broker;

    BrokerApplier(Broker broker) {
        this.broker = broker;
    }

    @Override
    public Object apply(MetadataCommand c, Version version) {
        if (c instanceof PutClusterIdentity || c instanceof PutClusterMember || c instanceof ForgetClusterMember) {
            ClusterMembershipHook hook = broker.membershipHook();
            if (hook != null) {
                hook.apply(c);
            }
            return null;
        }
        if (c instanceof MetadataCommand.DeclareExclusiveQueue d) {
            return vhost(d.vhost()).exclusiveQueueElsewhere(d);
        }
        if (c instanceof MetadataCommand.DropExclusiveQueue d) {
            vhost(d.vhost()).dropExclusiveQueue(d.name(), d.incarnation());
            return null;
        }
        // Deterministic on every member: a record never gets a version older than the one it has.
        Version current = broker.versions().liveOrTombstone(RecordKeys.versionKey(c));
        Version effective = version.isNewerThan(current) ? version : new Version(current.hlc() + 1, version.origin());
        return broker.writingAt(effective, () -> applyNow(c));
    }

    private Object applyNow(MetadataCommand c) {
        if (c instanceof DeclareExchange d) {
            return vhost(d.vhost()).declareExchange(d.name(), d.type(), false, d.durable(), d.autoDelete(),
                    d.internal(), d.arguments());
        } else if (c instanceof DeleteExchange d) {
            vhost(d.vhost()).deleteExchange(d.name(), d.ifUnused());
        } else if (c instanceof DeclareQueue d) {
            return vhost(d.vhost()).declareQueue(d.name(), false, d.durable(), false, d.autoDelete(), d.arguments(),
                    null, d.homeNode());
        } else if (c instanceof DeleteQueue d) {
            vhost(d.vhost()).removeQueue(d.name());
        } else if (c instanceof Bind d) {
            vhost(d.vhost()).bind(new Binding(d.source(), d.destination(), d.toExchange(), d.routingKey(),
                    d.arguments()));
        } else if (c instanceof Unbind d) {
            vhost(d.vhost()).unbind(new Binding(d.source(), d.destination(), d.toExchange(), d.routingKey(),
                    d.arguments()));
        } else if (c instanceof PutVhost d) {
            putVhost(d.vhost());
        } else if (c instanceof DeleteVhost d) {
            deleteVhost(d.vhost());
        } else if (c instanceof PutUser d) {
            putUser(d);
        } else if (c instanceof DeleteUser d) {
            deleteUser(d.name());
        } else if (c instanceof PutPermission d) {
            putPermission(d);
        } else if (c instanceof DeletePermission d) {
            requireUser(d.user());
            requireVhostForAdmin(d.vhost());
            broker.permissionMap().remove(Broker.permissionKey(d.vhost(), d.user()));
            broker.unpersist(DefinitionRecord.Kind.PERMISSION, DefinitionCodec.key(d.vhost(), d.user()));
        } else if (c instanceof MetadataCommand.PutVhostLimits d) {
            requireVhostForAdmin(d.vhost());
            broker.limits().putVhost(d.vhost(), d.limits());
            broker.persist(DefinitionCodec.limits(DefinitionRecord.Kind.VHOST_LIMITS,
                    new DefinitionCodec.LimitsDef(d.vhost(), broker.limits().vhost(d.vhost()))));
        } else if (c instanceof MetadataCommand.ClearVhostLimits d) {
            requireVhostForAdmin(d.vhost());
            if (!broker.limits().removeVhost(d.vhost())) {
                throw new AdminException("limits_error", "Parameter does not exist");
            }
            broker.unpersist(DefinitionRecord.Kind.VHOST_LIMITS, d.vhost());
        } else if (c instanceof MetadataCommand.PutUserLimits d) {
            requireUser(d.user());
            broker.limits().putUser(d.user(), d.limits());
            broker.persist(DefinitionCodec.limits(DefinitionRecord.Kind.USER_LIMITS,
                    new DefinitionCodec.LimitsDef(d.user(), broker.limits().user(d.user()))));
        } else if (c instanceof MetadataCommand.ClearUserLimits d) {
            requireUser(d.user());
            if (broker.limits().removeUser(d.user())) {
                broker.unpersist(DefinitionRecord.Kind.USER_LIMITS, d.user());
            }
        }
        return null;
    }

    /** The definitions as commands, in dependency order (vhosts, users, permissions, exchanges, queues, bindings). */
    private List<MetadataCommand> liveCommands() {
        List<MetadataCommand> out = new java.util.ArrayList<>();
        for (VirtualHost v : broker.vhostMap().values()) {
            out.add(new PutVhost(v.name()));
        }
        for (User u : broker.userMap().values()) {
            out.add(new PutUser(u.name(), u.passwordHash(), u.tags(), false));
        }
        for (Permission p : broker.permissionMap().values()) {
            out.add(new PutPermission(p.vhost(), p.user(), p.configure(), p.write(), p.read()));
        }
        broker.limits().allVhosts().forEach((v, l) -> out.add(new MetadataCommand.PutVhostLimits(v, l)));
        broker.limits().allUsers().forEach((u, l) -> out.add(new MetadataCommand.PutUserLimits(u, l)));
        for (VirtualHost v : broker.vhostMap().values()) {
            for (warren.core.routing.Exchange e : v.exchanges()) {
                if (!e.name().isEmpty() && !e.name().startsWith("amq.")) {
                    out.add(new DeclareExchange(v.name(), e.name(), e.type().wireName(), e.durable(), e.autoDelete(),
                            e.internal(), e.arguments()));
                }
            }
            for (warren.core.queue.MessageQueue q : v.queues()) {
                if (!q.exclusive()) {
                    out.add(new DeclareQueue(v.name(), q.name(), q.durable(), q.autoDelete(), q.arguments().raw(),
                            q.isLocal() ? broker.settings().nodeName() : q.remoteHome()));
                }
            }
            for (Binding b : v.bindings()) {
                if (v.queue(b.destination()) == null || !v.queue(b.destination()).exclusive() || b.toExchange()) {
                    out.add(new Bind(v.name(), b.source(), b.destination(), b.toExchange(), b.routingKey(),
                            b.arguments()));
                }
            }
        }
        return out;
    }

    @Override
    public List<VersionedRecord> snapshot() {
        List<VersionedRecord> out = new java.util.ArrayList<>();
        ClusterMembershipHook hook = broker.membershipHook();
        if (hook != null) {
            for (MetadataCommand c : hook.snapshot()) {
                out.add(new VersionedRecord(0, "", Version.ZERO, c));
            }
        }
        DefinitionVersions versions = broker.versions();
        for (MetadataCommand c : liveCommands()) {
            String k = RecordKeys.versionKey(c);
            out.add(new VersionedRecord(DefinitionVersions.kindOf(k), DefinitionVersions.recordKeyOf(k),
                    versions.liveVersion(k), c));
        }
        versions.tombstones().forEach((k, v) -> out.add(new VersionedRecord(DefinitionVersions.kindOf(k),
                DefinitionVersions.recordKeyOf(k), v, null)));
        return out;
    }

    @Override
    public List<VersionedRecord> merge(List<VersionedRecord> records, String from) {
        return new DefinitionMerge(broker, this, from).merge(records);
    }

    /** Applies {@code c} as part of a merge, its records getting exactly {@code version} (null: none). */
    void applyAt(MetadataCommand c, Version version) {
        if (version == null) {
            applyNow(c);
        } else {
            broker.writingAt(version, () -> applyNow(c));
        }
    }

    /** The current definitions by version key (see {@link RecordKeys}), with their versions. */
    java.util.Map<String, VersionedRecord> liveRecords() {
        java.util.Map<String, VersionedRecord> out = new java.util.HashMap<>();
        DefinitionVersions versions = broker.versions();
        for (MetadataCommand c : liveCommands()) {
            String k = RecordKeys.versionKey(c);
            out.put(k, new VersionedRecord(DefinitionVersions.kindOf(k), DefinitionVersions.recordKeyOf(k),
                    versions.liveVersion(k), c));
        }
        return out;
    }

    @Override
    public long latestVersionClock() {
        return broker.versions().maxHlc();
    }

    @Override
    public int purgeTombstones() {
        return broker.purgeTombstones();
    }

    private VirtualHost vhost(String name) {
        VirtualHost v = broker.vhost(name);
        if (v == null) {
            throw new ChannelException(ReplyCode.NOT_FOUND, "no vhost '" + name + "'");
        }
        return v;
    }

    private VirtualHost requireVhostForAdmin(String name) {
        VirtualHost v = broker.vhost(name);
        if (v == null) {
            throw new AdminException("no_such_vhost", "Virtual host '" + name + "' does not exist");
        }
        return v;
    }

    private User requireUser(String name) {
        User u = broker.userMap().get(name);
        if (u == null) {
            throw new AdminException("no_such_user", "User \"" + name + "\" does not exist");
        }
        return u;
    }

    private void putVhost(String name) {
        if (broker.vhostMap().containsKey(name)) {
            throw new AdminException("vhost_already_exists", "Virtual host '" + name + "' already exists");
        }
        broker.vhostMap().put(name, new VirtualHost(name, broker));
        broker.persist(DefinitionCodec.vhost(new DefinitionCodec.VhostDef(name)));
    }

    private void deleteVhost(String name) {
        VirtualHost v = broker.vhostMap().remove(name);
        if (v == null) {
            throw new AdminException("no_such_vhost", "Virtual host '" + name + "' does not exist");
        }
        for (Permission p : List.copyOf(broker.permissionMap().values())) {
            if (p.vhost().equals(name)) {
                broker.permissionMap().remove(Broker.permissionKey(p.vhost(), p.user()));
                broker.unpersist(DefinitionRecord.Kind.PERMISSION, DefinitionCodec.key(p.vhost(), p.user()));
            }
        }
        if (broker.limits().removeVhost(name)) {
            broker.unpersist(DefinitionRecord.Kind.VHOST_LIMITS, name);
        }
        for (Broker.ConnectionView conn : broker.connections()) {
            if (name.equals(conn.vhost())) {
                conn.forceClose("vhost '" + name + "' is deleted");
            }
        }
        v.destroy();
        broker.unpersist(DefinitionRecord.Kind.VHOST, name);
    }

    private void putUser(PutUser d) {
        if (d.mustBeNew() && broker.userMap().containsKey(d.name())) {
            throw new AdminException("user_already_exists", "User \"" + d.name() + "\" already exists");
        }
        User u = new User(d.name(), d.passwordHash(), d.tags());
        broker.userMap().put(u.name(), u);
        broker.persist(DefinitionCodec.user(new DefinitionCodec.UserDef(u.name(), u.passwordHash(), u.tags())));
    }

    private void deleteUser(String name) {
        if (broker.userMap().remove(name) == null) {
            throw new AdminException("no_such_user", "User \"" + name + "\" does not exist");
        }
        for (Permission p : List.copyOf(broker.permissionMap().values())) {
            if (p.user().equals(name)) {
                broker.permissionMap().remove(Broker.permissionKey(p.vhost(), p.user()));
                broker.unpersist(DefinitionRecord.Kind.PERMISSION, DefinitionCodec.key(p.vhost(), p.user()));
            }
        }
        broker.unpersist(DefinitionRecord.Kind.USER, name);
        if (broker.limits().removeUser(name)) {
            broker.unpersist(DefinitionRecord.Kind.USER_LIMITS, name);
        }
        for (Broker.ConnectionView conn : broker.connections()) {
            if (name.equals(conn.user())) {
                conn.forceClose("user '" + name + "' was deleted");
            }
        }
    }

    private void putPermission(PutPermission d) {
        requireUser(d.user());
        requireVhostForAdmin(d.vhost());
        Permission p;
        try {
            p = new Permission(d.user(), d.vhost(), d.configure(), d.write(), d.read());
        } catch (IllegalArgumentException e) {
            throw new AdminException("invalid_regexp", e.getMessage());
        }
        broker.putPermission(p);
        broker.persist(DefinitionCodec.permission(new DefinitionCodec.PermissionDef(d.vhost(), d.user(), d.configure(),
                d.write(), d.read())));
    }
}
