package warren.core.broker;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import warren.core.queue.MessageQueue;
import warren.core.routing.Binding;
import warren.core.routing.Exchange;
import warren.core.security.PasswordHash;
import warren.core.security.Permission;
import warren.core.security.User;
import warren.core.store.DefinitionCodec;
import warren.core.store.DefinitionRecord;

/** {@link BrokerAdmin} over one node's in-memory state. */
final class LocalAdmin implements BrokerAdmin {
    private final Broker broker;

    LocalAdmin(Broker broker) {
        this.broker = broker;
    }

    @Override
    public synchronized void addUser(String name, String password, Set<String> tags) {
        if (broker.userMap().containsKey(name)) {
            throw new AdminException("user_already_exists", "User \"" + name + "\" already exists");
        }
        putUser(new User(name, PasswordHash.hash(password), tags));
    }

    private void putUser(User u) {
        broker.userMap().put(u.name(), u);
        await(broker.persist(DefinitionCodec.user(new DefinitionCodec.UserDef(u.name(), u.passwordHash(), u.tags()))));
    }

    /** Management answers after the change is on disk, as a client's declare-ok is. */
    private static void await(java.util.concurrent.CompletableFuture<Void> write) {
        try {
            write.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AdminException("store_error", "the change could not be stored: " + e.getMessage());
        }
    }

    @Override
    public synchronized void deleteUser(String name) {
        if (broker.userMap().remove(name) == null) {
            throw new AdminException("no_such_user", "User \"" + name + "\" does not exist");
        }
        for (Permission p : List.copyOf(broker.permissionMap().values())) {
            if (p.user().equals(name)) {
                broker.permissionMap().remove(Broker.permissionKey(p.vhost(), p.user()));
                broker.unpersist(DefinitionRecord.Kind.PERMISSION, DefinitionCodec.key(p.vhost(), p.user()));
            }
        }
        await(broker.unpersist(DefinitionRecord.Kind.USER, name));
        for (Broker.ConnectionView c : broker.connections()) {
            if (name.equals(c.user())) {
                c.forceClose("user '" + name + "' was deleted");
            }
        }
    }

    @Override
    public synchronized void changePassword(String name, String password) {
        User u = requireUser(name);
        putUser(new User(name, PasswordHash.hash(password), u.tags()));
    }

    @Override
    public synchronized void setUserTags(String name, Set<String> tags) {
        User u = requireUser(name);
        putUser(new User(name, u.passwordHash(), tags));
    }

    @Override
    public boolean checkPassword(String name, String password) {
        return broker.authenticate(name, password) != null;
    }

    private User requireUser(String name) {
        User u = broker.userMap().get(name);
        if (u == null) {
            throw new AdminException("no_such_user", "User \"" + name + "\" does not exist");
        }
        return u;
    }

    @Override
    public List<UserInfo> listUsers() {
        List<UserInfo> out = new ArrayList<>();
        for (User u : broker.userMap().values()) {
            out.add(new UserInfo(u.name(), u.tags()));
        }
        out.sort(Comparator.comparing(UserInfo::name));
        return out;
    }

    @Override
    public synchronized void addVhost(String name) {
        if (broker.vhostMap().containsKey(name)) {
            throw new AdminException("vhost_already_exists", "Virtual host '" + name + "' already exists");
        }
        broker.vhostMap().put(name, new VirtualHost(name, broker));
        await(broker.persist(DefinitionCodec.vhost(new DefinitionCodec.VhostDef(name))));
    }

    @Override
    public synchronized void deleteVhost(String name) {
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
        for (Broker.ConnectionView c : broker.connections()) {
            if (name.equals(c.vhost())) {
                c.forceClose("vhost '" + name + "' is deleted");
            }
        }
        v.destroy();
        await(broker.unpersist(DefinitionRecord.Kind.VHOST, name));
    }

    @Override
    public List<String> listVhosts() {
        List<String> out = new ArrayList<>(broker.vhostMap().keySet());
        out.sort(null);
        return out;
    }

    @Override
    public synchronized void setPermissions(String vhost, String user, String configure, String write, String read) {
        requireUser(user);
        requireVhost(vhost);
        try {
            broker.putPermission(new Permission(user, vhost, configure, write, read));
        } catch (IllegalArgumentException e) {
            throw new AdminException("invalid_regexp", e.getMessage());
        }
        await(broker.persist(DefinitionCodec.permission(new DefinitionCodec.PermissionDef(vhost, user, configure,
                write, read))));
    }

    @Override
    public synchronized void clearPermissions(String vhost, String user) {
        requireUser(user);
        requireVhost(vhost);
        broker.permissionMap().remove(Broker.permissionKey(vhost, user));
        await(broker.unpersist(DefinitionRecord.Kind.PERMISSION, DefinitionCodec.key(vhost, user)));
    }

    @Override
    public List<PermissionInfo> listPermissions(String vhost) {
        requireVhost(vhost);
        List<PermissionInfo> out = new ArrayList<>();
        for (Permission p : broker.permissionMap().values()) {
            if (vhost == null || p.vhost().equals(vhost)) {
                out.add(new PermissionInfo(p.user(), p.vhost(), p.configure(), p.write(), p.read()));
            }
        }
        out.sort(Comparator.comparing(PermissionInfo::user));
        return out;
    }

    private VirtualHost requireVhost(String vhost) {
        VirtualHost v = vhost == null ? null : broker.vhost(vhost);
        if (v == null && vhost != null) {
            throw new AdminException("no_such_vhost", "Virtual host '" + vhost + "' does not exist");
        }
        return v;
    }

    @Override
    public List<Map<String, Object>> listQueues(String vhost) {
        VirtualHost v = requireVhost(vhost);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (MessageQueue q : v.queues()) {
            MessageQueue.Counts c = q.snapshot();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", q.name());
            row.put("vhost", q.vhost());
            row.put("durable", q.durable());
            row.put("auto_delete", q.autoDelete());
            row.put("exclusive", q.exclusive());
            row.put("arguments", q.arguments().raw());
            row.put("messages", c.ready() + c.unacked());
            row.put("messages_ready", c.ready());
            row.put("messages_unacknowledged", c.unacked());
            row.put("consumers", c.consumers());
            row.put("state", "running");
            row.put("type", "classic");
            row.put("node", broker.settings().nodeName());
            rows.add(row);
        }
        rows.sort(Comparator.comparing(r -> (String) r.get("name")));
        return rows;
    }

    @Override
    public List<Map<String, Object>> listExchanges(String vhost) {
        VirtualHost v = requireVhost(vhost);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Exchange e : v.exchanges()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", e.name());
            row.put("vhost", e.vhost());
            row.put("type", e.type().wireName());
            row.put("durable", e.durable());
            row.put("auto_delete", e.autoDelete());
            row.put("internal", e.internal());
            row.put("arguments", e.arguments());
            rows.add(row);
        }
        rows.sort(Comparator.comparing(r -> (String) r.get("name")));
        return rows;
    }

    @Override
    public List<Map<String, Object>> listBindings(String vhost) {
        VirtualHost v = requireVhost(vhost);
        List<Map<String, Object>> rows = new ArrayList<>();
        // The implicit default-exchange binding of every queue, as rabbitmqctl lists it.
        for (MessageQueue q : v.queues()) {
            rows.add(bindingRow(vhost, new Binding("", q.name(), false, q.name(), Map.of())));
        }
        for (Binding b : v.bindings()) {
            rows.add(bindingRow(vhost, b));
        }
        return rows;
    }

    private static Map<String, Object> bindingRow(String vhost, Binding b) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("source_name", b.source());
        row.put("source_kind", "exchange");
        row.put("destination_name", b.destination());
        row.put("destination_kind", b.destinationKind());
        row.put("routing_key", b.routingKey());
        row.put("arguments", b.arguments());
        row.put("vhost", vhost);
        return row;
    }

    @Override
    public List<Map<String, Object>> listConnections() {
        return broker.connectionRows();
    }

    @Override
    public List<Map<String, Object>> listConsumers(String vhost) {
        VirtualHost v = requireVhost(vhost);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (MessageQueue q : v.queues()) {
            rows.addAll(q.consumerInfo());
        }
        return rows;
    }

    @Override
    public void setVmMemoryHighWatermark(double relative) {
        if (!(relative >= 0 && relative <= 1)) {
            throw new AdminException("invalid_value", "vm_memory_high_watermark must be between 0 and 1, got " + relative);
        }
        broker.memory().setRelative(relative);
    }

    @Override
    public Map<String, Object> status() {
        return broker.statusMap();
    }
}
