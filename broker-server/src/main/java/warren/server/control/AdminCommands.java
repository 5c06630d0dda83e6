package warren.server.control;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import warren.core.broker.AdminException;
import warren.core.broker.BrokerAdmin;

/**
 * Maps control requests to {@link BrokerAdmin} calls and daemon actions. One entry per command in
 * a table; argument names are the JSON fields warrenctl sends ({@code user}, {@code password},
 * {@code vhost}, {@code tags}, {@code configure}, {@code write}, {@code read}).
 */
public final class AdminCommands implements ControlHandler {

    private final Supplier<BrokerAdmin> admin;
    private final DaemonActions daemon;
    private final Map<String, Function<JsonNode, Object>> table = new LinkedHashMap<>();

    public AdminCommands(Supplier<BrokerAdmin> admin, DaemonActions daemon) {
        this.admin = admin;
        this.daemon = daemon;
        table.put("ping", a -> "pong");
        table.put("await_startup", a -> {
            daemon.awaitStartup(a == null ? 0 : a.path("timeout_ms").asLong(0));
            return true;
        });
        table.put("status", a -> status());
        table.put("stop", a -> {
            daemon.requestStop();
            return true;
        });
        table.put("stop_app", a -> {
            daemon.stopApp();
            return true;
        });
        table.put("start_app", a -> {
            daemon.startApp();
            return true;
        });
        table.put("cluster_status", a -> daemon.clusterStatus());
        table.put("formation_status", a -> daemon.formationStatus());
        table.put("discover_peers", a -> daemon.discoverPeers());
        table.put("join_cluster", a -> {
            daemon.joinCluster(text(a, "node"), a.path("ram").asBoolean(false));
            return true;
        });
        table.put("reset", a -> {
            daemon.reset();
            return true;
        });
        table.put("forget_cluster_node", a -> {
            daemon.forgetClusterNode(text(a, "node"), a.path("offline").asBoolean(false));
            return true;
        });
        table.put("force_reset", a -> {
            daemon.forceReset();
            return true;
        });
        table.put("force_boot", a -> {
            daemon.forceBoot();
            return true;
        });
        table.put("change_cluster_node_type", a -> {
            daemon.changeNodeType(text(a, "type"));
            return true;
        });
        table.put("add_user", a -> {
            admin().addUser(text(a, "user"), text(a, "password"), Set.of());
            return true;
        });
        table.put("delete_user", a -> {
            admin().deleteUser(text(a, "user"));
            return true;
        });
        table.put("change_password", a -> {
            admin().changePassword(text(a, "user"), text(a, "password"));
            return true;
        });
        table.put("set_user_tags", a -> {
            admin().setUserTags(text(a, "user"), strings(a, "tags"));
            return true;
        });
        table.put("authenticate_user", a -> admin().checkPassword(text(a, "user"), text(a, "password")));
        table.put("list_users", a -> users());
        table.put("add_vhost", a -> {
            admin().addVhost(text(a, "vhost"));
            return true;
        });
        table.put("delete_vhost", a -> {
            admin().deleteVhost(text(a, "vhost"));
            return true;
        });
        table.put("list_vhosts", a -> admin().listVhosts().stream().map(v -> Map.of("name", v)).toList());
        table.put("set_permissions", a -> {
            admin().setPermissions(text(a, "vhost"), text(a, "user"), text(a, "configure"), text(a, "write"),
                    text(a, "read"));
            return true;
        });
        table.put("clear_permissions", a -> {
            admin().clearPermissions(text(a, "vhost"), text(a, "user"));
            return true;
        });
        table.put("list_permissions", a -> permissions(text(a, "vhost"), null));
        table.put("list_user_permissions", a -> userPermissions(text(a, "user")));
        table.put("list_queues", a -> admin().listQueues(text(a, "vhost")));
        table.put("list_exchanges", a -> admin().listExchanges(text(a, "vhost")));
        table.put("list_bindings", a -> admin().listBindings(text(a, "vhost")));
        table.put("list_connections", a -> admin().listConnections());
        table.put("list_consumers", a -> admin().listConsumers(text(a, "vhost")));
        table.put("set_vhost_limits", a -> {
            admin().setVhostLimits(text(a, "vhost"), LimitsDefinition.vhost(text(a, "definition")));
            return true;
        });
        table.put("clear_vhost_limits", a -> {
            admin().clearVhostLimits(text(a, "vhost"));
            return true;
        });
        table.put("list_vhost_limits", a -> limitRows("vhost",
                admin().vhostLimits(a.path("global").asBoolean(false) ? null : text(a, "vhost"))));
        table.put("set_user_limits", a -> {
            admin().setUserLimits(text(a, "user"), LimitsDefinition.user(text(a, "definition")));
            return true;
        });
        table.put("clear_user_limits", a -> {
            admin().clearUserLimits(text(a, "user"), text(a, "limit"));
            return true;
        });
        table.put("list_user_limits", a -> limitRows("user",
                admin().userLimits(a.path("global").asBoolean(false) ? null : text(a, "user"))));
    }

    @Override
    public Object handle(String command, JsonNode args) {
        Function<JsonNode, Object> action = table.get(command);
        if (action == null) {
            throw new AdminException("unknown_command", "node does not know command '" + command + "'");
        }
        return action.apply(args);
    }

    private BrokerAdmin admin() {
        return admin.get();
    }

    private Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            out.putAll(admin().status());
        } catch (UnsupportedOperationException e) {
            out.put("broker_status", "unavailable: " + e.getMessage());
        } catch (AdminException e) {
            out.put("broker_status", "app stopped");
        }
        out.putAll(daemon.nodeStatus());
        return out;
    }

    /** One row per owner: {@code vhost} or {@code user}, and {@code limits} as rabbitmqctl prints them (JSON). */
    private static List<Map<String, Object>> limitRows(String column, Map<String, Map<String, Long>> limits) {
        List<Map<String, Object>> rows = new ArrayList<>();
        limits.forEach((owner, l) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put(column, owner);
            row.put("limits", LimitsDefinition.format(l));
            rows.add(row);
        });
        return rows;
    }

    private List<Map<String, Object>> users() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BrokerAdmin.UserInfo u : admin().listUsers()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("user", u.name());
            row.put("tags", List.copyOf(u.tags()));
            rows.add(row);
        }
        return rows;
    }

    private List<Map<String, Object>> permissions(String vhost, String onlyUser) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BrokerAdmin.PermissionInfo p : admin().listPermissions(vhost)) {
            if (onlyUser != null && !onlyUser.equals(p.user())) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("user", p.user());
            row.put("vhost", p.vhost());
            row.put("configure", p.configure());
            row.put("write", p.write());
            row.put("read", p.read());
            rows.add(row);
        }
        return rows;
    }

    private List<Map<String, Object>> userPermissions(String user) {
        if (admin().listUsers().stream().noneMatch(u -> u.name().equals(user))) {
            throw new AdminException("no_such_user", "User \"" + user + "\" does not exist");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String vhost : admin().listVhosts()) {
            rows.addAll(permissions(vhost, user));
        }
        return rows;
    }

    private static String text(JsonNode args, String field) {
        JsonNode v = args == null ? null : args.get(field);
        if (v == null || v.isNull()) {
            throw new AdminException("bad_request", "missing argument '" + field + "'");
        }
        return v.asText();
    }

    private static Set<String> strings(JsonNode args, String field) {
        Set<String> out = new LinkedHashSet<>();
        JsonNode v = args == null ? null : args.get(field);
        if (v != null && v.isArray()) {
            v.forEach(t -> out.add(t.asText()));
        }
        return out;
    }
}
