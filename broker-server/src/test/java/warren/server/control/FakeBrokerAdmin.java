package warren.server.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import warren.core.broker.AdminException;
import warren.core.broker.BrokerAdmin;

/** An in-memory BrokerAdmin for control and CLI tests until the real broker's admin lands. */
public final class FakeBrokerAdmin implements BrokerAdmin {

    private final Map<String, String> passwords = new TreeMap<>();
    private final Map<String, Set<String>> tags = new TreeMap<>();
    private final Set<String> vhosts = new LinkedHashSet<>(List.of("/"));
    private final Map<String, PermissionInfo> permissions = new LinkedHashMap<>();
    public final List<Map<String, Object>> queues = new ArrayList<>();

    public FakeBrokerAdmin() {
        addUser("guest", "guest", Set.of("administrator"));
        setPermissions("/", "guest", ".*", ".*", ".*");
    }

    @Override
    public synchronized void addUser(String name, String password, Set<String> userTags) {
        if (passwords.containsKey(name)) {
            throw new AdminException("user_already_exists", "User \"" + name + "\" already exists");
        }
        passwords.put(name, password);
        tags.put(name, new LinkedHashSet<>(userTags));
    }

    @Override
    public synchronized void deleteUser(String name) {
        user(name);
        passwords.remove(name);
        tags.remove(name);
    }

    @Override
    public synchronized void changePassword(String name, String password) {
        user(name);
        passwords.put(name, password);
    }

    @Override
    public synchronized void setUserTags(String name, Set<String> newTags) {
        user(name);
        tags.put(name, new LinkedHashSet<>(newTags));
    }

    @Override
    public synchronized boolean checkPassword(String name, String password) {
        return password.equals(passwords.get(name));
    }

    @Override
    public synchronized List<UserInfo> listUsers() {
        List<UserInfo> out = new ArrayList<>();
        tags.forEach((n, t) -> out.add(new UserInfo(n, Set.copyOf(t))));
        return out;
    }

    @Override
    public synchronized void addVhost(String name) {
        if (!vhosts.add(name)) {
            throw new AdminException("vhost_already_exists", "Virtual host '" + name + "' already exists");
        }
    }

    @Override
    public synchronized void deleteVhost(String name) {
        if (!vhosts.remove(name)) {
            throw new AdminException("no_such_vhost", "Virtual host '" + name + "' does not exist");
        }
    }

    @Override
    public synchronized List<String> listVhosts() {
        return List.copyOf(vhosts);
    }

    @Override
    public synchronized void setPermissions(String vhost, String user, String configure, String write, String read) {
        user(user);
        vhost(vhost);
        permissions.put(vhost + "\u0000" + user, new PermissionInfo(user, vhost, configure, write, read));
    }

    @Override
    public synchronized void clearPermissions(String vhost, String user) {
        user(user);
        vhost(vhost);
        permissions.remove(vhost + "\u0000" + user);
    }

    @Override
    public synchronized List<PermissionInfo> listPermissions(String vhost) {
        vhost(vhost);
        return permissions.values().stream().filter(p -> p.vhost().equals(vhost)).toList();
    }

    @Override
    public synchronized List<Map<String, Object>> listQueues(String vhost) {
        vhost(vhost);
        return queues.stream().filter(q -> vhost.equals(q.get("vhost"))).toList();
    }

    @Override
    public List<Map<String, Object>> listExchanges(String vhost) {
        vhost(vhost);
        return List.of(Map.of("name", "amq.direct", "vhost", vhost, "type", "direct", "durable", true,
                "auto_delete", false, "internal", false, "arguments", Map.of()));
    }

    @Override
    public List<Map<String, Object>> listBindings(String vhost) {
        return List.of();
    }

    @Override
    public List<Map<String, Object>> listConnections() {
        return List.of();
    }

    @Override
    public List<Map<String, Object>> listConsumers(String vhost) {
        return List.of();
    }

    @Override
    public Map<String, Object> status() {
        return Map.of("running", true);
    }

    private void user(String name) {
        if (!passwords.containsKey(name)) {
            throw new AdminException("no_such_user", "User \"" + name + "\" does not exist");
        }
    }

    private void vhost(String name) {
        if (!vhosts.contains(name)) {
            throw new AdminException("no_such_vhost", "Virtual host '" + name + "' does not exist");
        }
    }

    @Override
    public void setVmMemoryHighWatermark(double relative) {
        throw new UnsupportedOperationException("not used by the control tests");
    }
}
