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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import warren.core.metadata.MetadataCommand;

/** {@link BrokerAdmin} over one node's in-memory state. */
final class LocalAdmin implements BrokerAdmin {
    private final Broker broker;

    LocalAdmin(Broker broker) {
        this.broker = broker;
    }

    /**
     * Management changes go through the metadata replicator like a client's: agreed (cluster-wide
     * once clustered), applied, stored; the answer comes after the write is on disk.
     */
    private void change(MetadataCommand command) {
        try {
            broker.submit(command).get(30, TimeUnit.SECONDS);
            broker.lastDefinitionWrite().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AdminException a) {
                throw a;
            }
            throw new AdminException("store_error", "the change failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException("interrupted", "interrupted while waiting for the change");
        } catch (TimeoutException e) {
            throw new AdminException("timeout", "the change was not applied within 30 s");
        }
    }

    @Override
    public void addUser(String name, String password, Set<String> tags) {
        change(new MetadataCommand.PutUser(name, PasswordHash.hash(password), tags, true));
    }

    @Override
    public void deleteUser(String name) {
        change(new MetadataCommand.DeleteUser(name));
    }

    @Override
    public void changePassword(String name, String password) {
        User u = requireUser(name);
        change(new MetadataCommand.PutUser(name, PasswordHash.hash(password), u.tags(), false));
    }

    @Override
    public void setUserTags(String name, Set<String> tags) {
        User u = requireUser(name);
        change(new MetadataCommand.PutUser(name, u.passwordHash(), tags, false));
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
    public void addVhost(String name) {
        change(new MetadataCommand.PutVhost(name));
    }

    @Override
    public void deleteVhost(String name) {
        change(new MetadataCommand.DeleteVhost(name));
    }

    @Override
    public List<String> listVhosts() {
        List<String> out = new ArrayList<>(broker.vhostMap().keySet());
        out.sort(null);
        return out;
    }

    @Override
    public void setPermissions(String vhost, String user, String configure, String write, String read) {
        change(new MetadataCommand.PutPermission(vhost, user, configure, write, read));
    }

    @Override
    public void clearPermissions(String vhost, String user) {
        change(new MetadataCommand.DeletePermission(vhost, user));
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
        // Counts of queues living on other nodes are asked of their home nodes, all at once.
        Map<MessageQueue, java.util.concurrent.CompletableFuture<MessageQueue.Counts>> asked = new java.util.HashMap<>();
        for (MessageQueue q : v.queues()) {
            if (!q.isLocal() && q.isAvailable()) {
                asked.put(q, q.counts());
            }
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        for (MessageQueue q : v.queues()) {
            MessageQueue.Counts c = q.snapshot();
            var remote = asked.get(q);
            if (remote != null) {
                try {
                    c = remote.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    // listed without counts: its home did not answer in time
                }
            }
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
            row.put("state", q.isAvailable() ? "running" : "down"); // RabbitMQ lists a queue whose node is gone as down
            row.put("type", "classic");
            row.put("node", q.isLocal() ? broker.settings().nodeName() : q.remoteHome());
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

    @Override
    public void setVhostLimits(String vhost, Map<String, Long> limits) {
        requireVhost(vhost);
        change(new MetadataCommand.PutVhostLimits(vhost, new java.util.TreeMap<>(limits)));
    }

    @Override
    public void clearVhostLimits(String vhost) {
        requireVhost(vhost);
        change(new MetadataCommand.ClearVhostLimits(vhost));
    }

    @Override
    public Map<String, Map<String, Long>> vhostLimits(String vhost) {
        if (vhost == null) {
            return broker.limits().allVhosts();
        }
        requireVhost(vhost);
        return Map.of(vhost, broker.limits().vhost(vhost));
    }

    @Override
    public void setUserLimits(String user, Map<String, Long> limits) {
        requireLimitsUser(user);
        change(new MetadataCommand.PutUserLimits(user, new java.util.TreeMap<>(limits)));
    }

    @Override
    public void clearUserLimits(String user, String limit) {
        requireLimitsUser(user);
        Map<String, Long> now = broker.limits().user(user);
        if ("all".equals(limit)) {
            if (!now.isEmpty()) {
                change(new MetadataCommand.ClearUserLimits(user));
            }
            return;
        }
        if (!now.containsKey(limit)) {
            return; // as rabbitmqctl: clearing a limit that is not set succeeds
        }
        Map<String, Long> rest = new java.util.TreeMap<>(now);
        rest.remove(limit);
        change(rest.isEmpty() ? new MetadataCommand.ClearUserLimits(user) : new MetadataCommand.PutUserLimits(user, rest));
    }

    @Override
    public Map<String, Map<String, Long>> userLimits(String user) {
        if (user == null) {
            return broker.limits().allUsers();
        }
        requireLimitsUser(user);
        return Map.of(user, broker.limits().user(user));
    }

    /** rabbitmqctl's *_user_limits name a missing user in Elixir's words. */
    private void requireLimitsUser(String user) {
        if (!broker.userMap().containsKey(user)) {
            throw new AdminException("limits_error", "{:no_such_user, \"" + user + "\"}");
        }
    }
}
