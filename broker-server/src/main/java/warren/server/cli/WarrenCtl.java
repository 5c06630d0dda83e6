package warren.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import warren.server.control.ControlClient;
import warren.server.control.ControlClient.ControlException;

/**
 * warrenctl: rabbitmqctl's syntax, banners, tab-separated tables and exit codes over the node's
 * control listener. {@link #run} is the whole program (tests call it in-process); bin/warrenctl
 * reaches it through {@code BrokerMain warrenctl ...} so that only BrokerMain exits the JVM.
 */
public final class WarrenCtl {

    /** One command: its usage line, argument count bounds and action. */
    private record Command(String name, String usage, int minArgs, int maxArgs, Action action) {
    }

    @FunctionalInterface
    private interface Action {
        int run(Invocation inv) throws CtlException;
    }

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();
    private static final int UNLIMITED = Integer.MAX_VALUE;
    /** The list commands for which rabbitmqctl prints only its banner when the vhost does not exist. */
    private static final List<String> LISTS_OF_A_VHOST = List.of("list_queues", "list_exchanges", "list_bindings",
            "list_consumers");
    /** EX_NOUSER: rabbitmqctl's exit code for a user that does not exist. */
    private static final int NO_USER = 67;
    /**
     * Node refusal kinds with rabbitmqctl's exit codes: its "requires the app running/stopped"
     * validation failures are EX_USAGE (64), a bad node type EX_DATAERR (65), an unreachable join
     * target, a running or unknown node to forget and inconsistent_cluster EX_UNAVAILABLE (69), the rest
     * EX_SOFTWARE (70).
     */
    private static final Map<String, Integer> CLUSTER_REFUSALS = Map.ofEntries(
            Map.entry("node_running", ExitCodes.UNAVAILABLE),
            Map.entry("not_a_cluster_node", ExitCodes.UNAVAILABLE),
            Map.entry("inconsistent_cluster", ExitCodes.UNAVAILABLE),
            Map.entry("online_node_offline_flag", ExitCodes.SOFTWARE),
            Map.entry("offline_node_no_offline_flag", ExitCodes.SOFTWARE),
            Map.entry("forget_failed", ExitCodes.SOFTWARE),
            Map.entry("app_not_running", ExitCodes.USAGE),
            Map.entry("app_running", ExitCodes.USAGE),
            Map.entry("bad_argument", ExitCodes.DATA_ERROR),
            Map.entry("unavailable", ExitCodes.UNAVAILABLE),
            Map.entry("cannot_cluster_with_itself", ExitCodes.SOFTWARE),
            Map.entry("last_disc_node", ExitCodes.SOFTWARE),
            Map.entry("start_failed", ExitCodes.SOFTWARE),
            Map.entry("reset_failed", ExitCodes.SOFTWARE),
            Map.entry("not_configured", ExitCodes.USAGE),
            Map.entry("discovery_failed", ExitCodes.UNAVAILABLE));

    static {
        add("status", "status", 0, 0, inv -> {
            inv.out.banner("Status of node " + inv.node() + " ...");
            inv.out.object(inv.call("status", Map.of()));
            return ExitCodes.OK;
        });
        add("ping", "ping", 0, 0, inv -> {
            inv.out.banner("Will ping " + inv.node() + ". This only checks if the node is running and answers on "
                    + "its control port.");
            inv.call("ping", Map.of());
            inv.out.line("Ping succeeded");
            return ExitCodes.OK;
        });
        add("await_startup", "await_startup", 0, 0, WarrenCtl::awaitStartup);
        add("stop", "stop", 0, 0, WarrenCtl::stop);
        add("stop_app", "stop_app", 0, 0, inv -> simple(inv,
                "Stopping warren application on node " + inv.node() + " ...", "stop_app", Map.of()));
        add("start_app", "start_app", 0, 0, inv -> simple(inv,
                "Starting node " + inv.node() + " ...", "start_app", Map.of()));
        add("cluster_status", "cluster_status", 0, 0, WarrenCtl::clusterStatus);
        add("formation_status", "formation_status", 0, 0, WarrenCtl::formationStatus);
        add("discover_peers", "discover_peers", 0, 0, WarrenCtl::discoverPeers);
        add("join_cluster", "join_cluster [--ram] <existing_cluster_member>", 1, 2, inv -> {
            List<String> args = inv.opts.args();
            boolean ram = args.contains("--ram");
            List<String> nodes = args.stream().filter(a -> !a.equals("--ram") && !a.equals("--disc")).toList();
            if (nodes.size() != 1) {
                throw new CtlException(ExitCodes.USAGE, "Error: join_cluster takes one node name.\nUsage: warrenctl "
                        + "join_cluster [--ram] <existing_cluster_member>");
            }
            return simple(inv, "Clustering node " + inv.node() + " with " + nodes.get(0), "join_cluster",
                    Map.of("node", nodes.get(0), "ram", ram));
        });
        add("forget_cluster_node", "forget_cluster_node [--offline] <existing_cluster_member_node>", 1, 2, inv -> {
            List<String> args = inv.opts.args();
            boolean offline = args.contains("--offline");
            List<String> nodes = args.stream().filter(a -> !a.equals("--offline")).toList();
            if (nodes.size() != 1) {
                throw new CtlException(ExitCodes.USAGE, "Error: forget_cluster_node takes one node name.\nUsage: "
                        + "warrenctl forget_cluster_node [--offline] <existing_cluster_member_node>");
            }
            return simple(inv, "Removing node " + nodes.get(0) + " from the cluster", "forget_cluster_node",
                    Map.of("node", nodes.get(0), "offline", offline));
        });
        add("reset", "reset", 0, 0, inv -> simple(inv, "Resetting node " + inv.node() + " ...", "reset", Map.of()));
        add("force_reset", "force_reset", 0, 0, inv -> simple(inv, "Forcefully resetting node " + inv.node() + " ...",
                "force_reset", Map.of()));
        add("force_boot", "force_boot", 0, 0, inv -> simple(inv, "Forcing boot for node " + inv.node() + " ...",
                "force_boot", Map.of()));
        add("change_cluster_node_type", "change_cluster_node_type <disc|ram>", 1, 1, inv -> {
            String type = inv.arg(0);
            if (!List.of("disc", "disk", "ram").contains(type)) {
                throw validation(ExitCodes.DATA_ERROR, "Bad argument: The node type must be either disc or ram.", inv);
            }
            return simple(inv, "Turning " + inv.node() + " into a " + type + " node", "change_cluster_node_type",
                    Map.of("type", type));
        });
        add("add_user", "add_user <username> <password>", 2, 2, inv -> {
            inv.out.banner("Adding user \"" + inv.arg(0) + "\" ...");
            inv.call("add_user", Map.of("user", inv.arg(0), "password", inv.arg(1)));
            inv.out.banner("Done. Don't forget to grant the user permissions to some virtual hosts! "
                    + "See 'warrenctl help set_permissions' to learn more.");
            return ExitCodes.OK;
        });
        add("delete_user", "delete_user <username>", 1, 1, inv -> simple(inv,
                "Deleting user \"" + inv.arg(0) + "\" ...", "delete_user", Map.of("user", inv.arg(0))));
        add("change_password", "change_password <username> <password>", 2, 2, inv -> simple(inv,
                "Changing password for user \"" + inv.arg(0) + "\" ...", "change_password",
                Map.of("user", inv.arg(0), "password", inv.arg(1))));
        add("set_user_tags", "set_user_tags <username> <tag> [...]", 1, UNLIMITED, inv -> {
            List<String> tags = inv.opts.args().subList(1, inv.opts.args().size());
            return simple(inv, "Setting tags for user \"" + inv.arg(0) + "\" to [" + String.join(", ", tags) + "] ...",
                    "set_user_tags", Map.of("user", inv.arg(0), "tags", tags));
        });
        add("authenticate_user", "authenticate_user <username> <password>", 2, 2, inv -> {
            inv.out.banner("Authenticating user \"" + inv.arg(0) + "\" ...");
            JsonNode ok = inv.call("authenticate_user", Map.of("user", inv.arg(0), "password", inv.arg(1)));
            if (!ok.asBoolean(false)) {
                throw new CtlException(ExitCodes.DATA_ERROR, "Error:\nError: failed to authenticate user \"" + inv.arg(0)
                        + "\"\nuser '" + inv.arg(0) + "' - invalid credentials");
            }
            inv.out.line("Success");
            return ExitCodes.OK;
        });
        add("list_users", "list_users", 0, 0, inv -> list(inv, "Listing users ...", "list_users",
                Map.of(), List.of("user", "tags"), List.of("user", "tags")));
        add("add_vhost", "add_vhost <vhost>", 1, 1, inv -> simple(inv,
                "Adding vhost \"" + inv.arg(0) + "\" ...", "add_vhost", Map.of("vhost", inv.arg(0))));
        add("delete_vhost", "delete_vhost <vhost>", 1, 1, inv -> simple(inv,
                "Deleting vhost \"" + inv.arg(0) + "\" ...", "delete_vhost", Map.of("vhost", inv.arg(0))));
        add("list_vhosts", "list_vhosts [<column> ...]", 0, UNLIMITED, inv -> list(inv, "Listing vhosts ...",
                "list_vhosts", Map.of(), List.of("name"), List.of("name")));
        add("set_permissions", "set_permissions [-p <vhost>] <username> <conf> <write> <read>", 4, 4, inv -> simple(inv,
                "Setting permissions for user \"" + inv.arg(0) + "\" in vhost \"" + inv.vhost() + "\" ...",
                "set_permissions", Map.of("vhost", inv.vhost(), "user", inv.arg(0), "configure", inv.arg(1),
                        "write", inv.arg(2), "read", inv.arg(3))));
        add("clear_permissions", "clear_permissions [-p <vhost>] <username>", 1, 1, inv -> simple(inv,
                "Clearing permissions for user \"" + inv.arg(0) + "\" in vhost \"" + inv.vhost() + "\" ...",
                "clear_permissions", Map.of("vhost", inv.vhost(), "user", inv.arg(0))));
        add("list_permissions", "list_permissions [-p <vhost>]", 0, 0, inv -> list(inv,
                "Listing permissions for vhost \"" + inv.vhost() + "\" ...", "list_permissions",
                Map.of("vhost", inv.vhost()), List.of("user", "configure", "write", "read"),
                List.of("user", "configure", "write", "read")));
        add("list_user_permissions", "list_user_permissions <username>", 1, 1, inv -> list(inv,
                "Listing permissions for user \"" + inv.arg(0) + "\" ...", "list_user_permissions",
                Map.of("user", inv.arg(0)), List.of("vhost", "configure", "write", "read"),
                List.of("vhost", "configure", "write", "read")));
        add("set_vhost_limits", "set_vhost_limits [--vhost <vhost>] <definition>", 1, 1, inv -> simple(inv,
                "Setting vhost limits to \"" + inv.arg(0) + "\" for vhost \"" + inv.vhost() + "\" ...",
                "set_vhost_limits", Map.of("vhost", inv.vhost(), "definition", inv.arg(0))));
        add("clear_vhost_limits", "clear_vhost_limits [--vhost <vhost>]", 0, 0, inv -> simple(inv,
                "Clearing vhost \"" + inv.vhost() + "\" limits ...", "clear_vhost_limits",
                Map.of("vhost", inv.vhost())));
        add("list_vhost_limits", "list_vhost_limits [--vhost <vhost>] [--global]", 0, 1, inv -> listLimits(inv,
                "vhost", inv.vhost(), ""));
        add("set_user_limits", "set_user_limits <username> <definition>", 2, 2, inv -> simple(inv,
                "Setting user limits to \"" + inv.arg(1) + "\" for user \"" + inv.arg(0) + "\" ...",
                "set_user_limits", Map.of("user", inv.arg(0), "definition", inv.arg(1))));
        add("clear_user_limits", "clear_user_limits <username> <limit_type> | all", 2, 2, inv -> simple(inv,
                inv.arg(1).equals("all") ? "Clearing all limits for user \"" + inv.arg(0) + "\" ..."
                        : "Clearing \"" + inv.arg(1) + "\" limit for user \"" + inv.arg(0) + "\" ...",
                "clear_user_limits", Map.of("user", inv.arg(0), "limit", inv.arg(1))));
        add("list_user_limits", "list_user_limits [--user <username>] [--global]", 0, 3, inv -> {
            List<String> args = inv.opts.args();
            int at = args.indexOf("--user");
            if (at >= 0 && at + 1 >= args.size()) {
                throw new CtlException(ExitCodes.USAGE, "Error: option --user needs a value");
            }
            return listLimits(inv, "user", at >= 0 ? args.get(at + 1) : "guest", "{}");
        });
        add("list_queues", "list_queues [-p <vhost>] [<column> ...]", 0, UNLIMITED, inv -> list(inv,
                "Timeout: " + inv.timeoutSeconds() + ".0 seconds ...\nListing queues for vhost " + inv.vhost() + " ...",
                "list_queues", Map.of("vhost", inv.vhost()), List.of("name", "messages"),
                List.of("name", "vhost", "durable", "auto_delete", "exclusive", "arguments", "messages",
                        "messages_ready", "messages_unacknowledged", "consumers", "state", "type", "node")));
        add("list_exchanges", "list_exchanges [-p <vhost>] [<column> ...]", 0, UNLIMITED, inv -> list(inv,
                "Listing exchanges for vhost " + inv.vhost() + " ...", "list_exchanges", Map.of("vhost", inv.vhost()),
                List.of("name", "type"),
                List.of("name", "vhost", "type", "durable", "auto_delete", "internal", "arguments")));
        add("list_bindings", "list_bindings [-p <vhost>] [<column> ...]", 0, UNLIMITED, inv -> list(inv,
                "Listing bindings for vhost " + inv.vhost() + "...", "list_bindings", Map.of("vhost", inv.vhost()),
                List.of("source_name", "source_kind", "destination_name", "destination_kind", "routing_key", "arguments"),
                List.of("source_name", "source_kind", "destination_name", "destination_kind", "routing_key",
                        "arguments", "vhost")));
        add("list_connections", "list_connections [<column> ...]", 0, UNLIMITED, inv -> list(inv,
                "Listing connections ...", "list_connections", Map.of(),
                List.of("user", "peer_host", "peer_port", "state"),
                List.of("name", "user", "vhost", "peer_host", "peer_port", "host", "port", "state", "channels",
                        "protocol", "auth_mechanism", "connected_at", "client_properties", "timeout", "frame_max",
                        "channel_max")));
        add("list_consumers", "list_consumers [-p <vhost>] [<column> ...]", 0, UNLIMITED, inv -> list(inv,
                "Listing consumers in vhost " + inv.vhost() + " ...", "list_consumers", Map.of("vhost", inv.vhost()),
                List.of("queue_name", "channel_pid", "consumer_tag", "ack_required", "prefetch_count", "active",
                        "arguments"),
                List.of("queue_name", "vhost", "channel_pid", "consumer_tag", "ack_required", "prefetch_count",
                        "active", "exclusive", "arguments")));
        add("help", "help [<command>]", 0, 1, WarrenCtl::help);
    }

    private WarrenCtl() {
    }

    private static void add(String name, String usage, int min, int max, Action action) {
        COMMANDS.put(name, new Command(name, usage, min, max, action));
    }

    /** Runs warrenctl with {@code args}; returns the exit code. Nothing here exits the JVM. */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        try {
            CtlOptions opts = CtlOptions.parse(args);
            if (opts.command() == null) {
                err.println();
                printUsage(err);
                return ExitCodes.USAGE;
            }
            Command command = COMMANDS.get(opts.command());
            if (command == null) {
                err.println("\nCommand '" + opts.command() + "' not found. \n");
                printUsage(err);
                return ExitCodes.USAGE;
            }
            ARGV.set(args);
            int n = opts.args().size();
            if (command.name().startsWith("list_") && command.maxArgs() == UNLIMITED) {
                // columns, validated by list()
            } else if (n < command.minArgs() || n > command.maxArgs()) {
                err.println(validation(ExitCodes.USAGE, (n < command.minArgs() ? "not enough" : "too many")
                        + " arguments.", command).getMessage());
                return ExitCodes.USAGE;
            }
            Invocation inv = new Invocation(opts, env, new Output(out, opts.quiet(), opts.json()), out);
            inv.fixedArgs = command.minArgs();
            try {
                return command.action().run(inv);
            } finally {
                inv.close();
            }
        } catch (CtlException e) {
            err.println(e.getMessage());
            return e.exitCode();
        }
    }

    /** The command line as given, for the "Arguments given" part of rabbitmqctl's validation errors. */
    private static final ThreadLocal<String[]> ARGV = ThreadLocal.withInitial(() -> new String[0]);

    /** rabbitmqctl's argument validation failure: the sentence, the arguments given, the command's usage. */
    private static CtlException validation(int code, String sentence, Invocation inv) {
        return validation(code, sentence, COMMANDS.get(inv.opts.command()));
    }

    private static CtlException validation(int code, String sentence, Command command) {
        return new CtlException(code, "Error (argument validation): " + sentence + validationTail(command));
    }

    private static String validationTail(Command command) {
        return "\nArguments given:\n\t" + String.join(" ", ARGV.get()) + "\n\nUsage\n\n"
                + "warrenctl [-n <node>] [-q] [--formatter json|table] [-t <timeout>] " + command.usage();
    }

    private static int simple(Invocation inv, String banner, String command, Map<String, ?> args) throws CtlException {
        inv.out.banner(banner);
        inv.call(command, args);
        return ExitCodes.OK;
    }

    private static int list(Invocation inv, String banner, String command, Map<String, ?> args,
                            List<String> defaults, List<String> valid) throws CtlException {
        List<String> given = inv.opts.args().subList(inv.fixedArgs, inv.opts.args().size());
        List<String> columns = given.isEmpty() ? defaults : expandColumns(given);
        List<String> bad = new ArrayList<>();
        for (String c : columns) {
            if (!valid.contains(c)) {
                bad.add(c);
            }
        }
        if (!bad.isEmpty()) {
            throw validation(ExitCodes.USAGE, "Info key(s) " + String.join(",", bad) + " are not supported", inv);
        }
        inv.out.banner(banner);
        JsonNode rows = inv.call(command, args);
        if (!rows.isMissingNode()) {
            inv.out.rows(rows, columns);
        }
        return ExitCodes.OK;
    }

    /** rabbitmqctl accepts "name messages" and "name,messages". */
    private static List<String> expandColumns(List<String> raw) {
        List<String> out = new ArrayList<>();
        for (String r : raw) {
            for (String part : r.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        }
        return out;
    }

    /**
     * list_vhost_limits / list_user_limits: one owner's limits as JSON ({@code none} printed when it has
     * none: rabbitmqctl prints an empty line for a vhost, {} for a user), or with --global a table of
     * every owner that has limits.
     */
    private static int listLimits(Invocation inv, String kind, String owner, String none) throws CtlException {
        List<String> args = inv.opts.args();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--user") && kind.equals("user")) {
                i++;
            } else if (!a.equals("--global")) {
                throw new CtlException(ExitCodes.USAGE, "Error (argument validation): too many arguments.\nUsage: "
                        + "warrenctl " + COMMANDS.get("list_" + kind + "_limits").usage());
            }
        }
        if (args.contains("--global")) {
            inv.out.banner("Listing limits for all " + kind + "s ...");
            JsonNode rows = inv.call("list_" + kind + "_limits", Map.of("global", true));
            if (rows.isEmpty() && !inv.opts.json()) {
                inv.out.line("");
            } else {
                inv.out.rows(rows, List.of(kind, "limits"));
            }
            return ExitCodes.OK;
        }
        inv.out.banner("Listing limits for " + kind + " \"" + owner + "\" ...");
        JsonNode rows = inv.call("list_" + kind + "_limits", Map.of(kind, owner));
        String limits = rows.path(0).path("limits").asText("{}");
        if (inv.opts.json()) {
            inv.out.json(Map.of("message", limits));
        } else {
            inv.out.line(limits.equals("{}") ? none : limits);
        }
        return ExitCodes.OK;
    }

    private static int clusterStatus(Invocation inv) throws CtlException {
        inv.out.banner("Cluster status of node " + inv.node() + " ...");
        JsonNode status = inv.call("cluster_status", Map.of());
        if (inv.opts.json()) {
            inv.out.json(status);
            return ExitCodes.OK;
        }
        inv.out.line("Basics\n");
        inv.out.line("Cluster name: " + Output.cell(status.get("cluster_name")) + "\n");
        section(inv, "Disk Nodes", status.get("disk_nodes"));
        if (status.path("ram_nodes").size() > 0) {
            section(inv, "RAM Nodes", status.get("ram_nodes"));
        }
        section(inv, "Running Nodes", status.get("running_nodes"));
        return ExitCodes.OK;
    }

    /** The named formation state; answers while the node boots (the control listener is up first). */
    private static int formationStatus(Invocation inv) throws CtlException {
        inv.out.banner("Cluster formation status of node " + inv.node() + " ...");
        JsonNode status = inv.call("formation_status", Map.of());
        if (inv.opts.json()) {
            inv.out.json(status);
            return ExitCodes.OK;
        }
        inv.out.line("State: " + status.path("state").asText());
        inv.out.line("Summary: " + status.path("summary").asText());
        inv.out.line("Backend: " + status.path("backend").asText());
        if (status.path("candidates").size() > 0) {
            List<String> candidates = new java.util.ArrayList<>();
            status.path("candidates").forEach(c -> candidates.add(c.asText()));
            inv.out.line("Candidates: " + String.join(", ", candidates));
        }
        for (String field : List.of("seed", "target", "lock_holder", "detail")) {
            if (!status.path(field).asText().isEmpty()) {
                inv.out.line(field.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + field.substring(1)
                        .replace('_', ' ') + ": " + status.path(field).asText());
            }
        }
        inv.out.line("Since: " + status.path("since").asText());
        return ExitCodes.OK;
    }

    /** What the backend returns now, with each peer's reachability and cookie/version compatibility. */
    private static int discoverPeers(Invocation inv) throws CtlException {
        inv.out.banner("Discovering peers of node " + inv.node() + " ...");
        JsonNode found = inv.call("discover_peers", Map.of());
        if (inv.opts.json()) {
            inv.out.json(found);
            return ExitCodes.OK;
        }
        inv.out.line("Backend: " + found.path("backend").asText() + ", node type: " + found.path("node_type").asText()
                + (found.path("seed").asText().isEmpty() ? "" : ", seed: " + found.path("seed").asText()));
        if (found.path("peers").size() == 0) {
            inv.out.line("The backend lists no nodes: a blank node would boot standalone.");
            return ExitCodes.OK;
        }
        inv.out.line("node\taddress\treachable\tcompatible\tdetail");
        for (JsonNode peer : found.path("peers")) {
            inv.out.line(peer.path("node").asText() + (peer.path("self").asBoolean() ? " (this node)" : "") + "\t"
                    + peer.path("address").asText() + "\t" + peer.path("reachable").asBoolean() + "\t"
                    + peer.path("compatible").asText() + "\t" + peer.path("detail").asText());
        }
        return ExitCodes.OK;
    }

    private static void section(Invocation inv, String title, JsonNode nodes) {
        inv.out.line(title + "\n");
        if (nodes != null) {
            nodes.forEach(n -> inv.out.line(n.asText()));
        }
        inv.out.line("");
    }

    /**
     * Waits until the node serves AMQP (its store recovered, its cluster joined, its listener accepting):
     * the node answers once its app runs. While the node cannot be reached yet (it is still starting its
     * JVM) this retries. A node whose app is stopped, or whose boot failed (the reason follows), is
     * rabbitmqctl's {@code rabbit_is_not_running}, exit 69; still booting when {@code -t} (default 300 s, as
     * rabbitmqctl) runs out is rabbitmqctl's timeout, exit 75.
     */
    private static int awaitStartup(Invocation inv) throws CtlException {
        long timeoutMillis = (inv.opts.timeoutSeconds() == null ? 300 : inv.opts.timeoutSeconds()) * 1000L;
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        CtlException last = null;
        boolean reached = false;
        String booting = null;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            try {
                ControlClient client = inv.connected((int) Math.min(left, 10_000));
                reached = true;
                client.setTimeout((int) Math.min(Integer.MAX_VALUE, left + 10_000));
                client.call("await_startup", Map.of("timeout_ms", left));
                return ExitCodes.OK;
            } catch (ControlException e) {
                if (e.failure() == ControlClient.Failure.REFUSED) {
                    if (e.kind().equals("timeout")) {
                        booting = e.getMessage();
                        break;
                    }
                    throw new CtlException(ExitCodes.UNAVAILABLE, "Error:\n" + e.getMessage());
                }
                last = inv.locator.unreachable(List.of(e.getMessage())); // lost: the node went down; it may come back
                inv.disconnect();
            } catch (CtlException e) {
                // unreachable, or no cookie yet: a node at its first start creates it with its control listener
                if (e.exitCode() != ExitCodes.UNAVAILABLE && !inv.locator.cookieMissing()) {
                    throw e;
                }
                last = e;
                inv.disconnect();
            }
            pause();
        }
        if (reached || last == null) {
            // rabbitmqctl's sentence; a node waiting for its cluster peers says so on the next line
            throw new CtlException(TEMP_FAIL, "Error: operation await_startup on node " + inv.node()
                    + " timed out. Timeout value used: " + timeoutMillis
                    + (booting != null && booting.contains("waiting") ? "\n" + booting : ""));
        }
        throw last;
    }

    /** EX_TEMPFAIL: rabbitmqctl's exit code for an operation that timed out. */
    private static final int TEMP_FAIL = 75;

    private static int stop(Invocation inv) throws CtlException {
        inv.out.banner("Stopping and halting node " + inv.node() + " ...");
        inv.call("stop", Map.of());
        ControlClient client = inv.client;
        long deadline = System.nanoTime() + inv.timeoutSeconds() * 1_000_000_000L;
        // the node closes our connection as it stops; wait for that (and for its registry entry to go)
        client.setTimeout(1000);
        while (System.nanoTime() < deadline) {
            try {
                client.call("ping", Map.of());
                pause();
            } catch (ControlException e) {
                if (!inv.locator.isLocal() || inv.locator.isGoneLocally()) {
                    return ExitCodes.OK;
                }
                pause();
            }
        }
        throw new CtlException(ExitCodes.SOFTWARE, "Error: node " + inv.node() + " did not stop within "
                + inv.timeoutSeconds() + " seconds; check its log");
    }

    private static int help(Invocation inv) throws CtlException {
        if (!inv.opts.args().isEmpty()) {
            Command c = COMMANDS.get(inv.opts.args().get(0));
            if (c != null) {
                inv.raw.println("Usage: warrenctl [-n <node>] [-q] [--formatter json|table] [-t <timeout>] " + c.usage());
                return ExitCodes.OK;
            }
            throw new CtlException(ExitCodes.USAGE, "Error:\n\nCommand '" + inv.opts.args().get(0) + "' not found.");
        }
        printUsage(inv.raw);
        return ExitCodes.OK;
    }

    private static void printUsage(PrintStream s) {
        s.println("Usage: warrenctl [-n <node>] [-q] [--formatter json|table] [-t <timeout>] <command> [<args>]\n");
        s.println("Commands:");
        for (Command c : COMMANDS.values()) {
            s.println("   " + c.usage());
        }
        s.println("\nDefault node: warren@<short hostname> (or WARREN_NODENAME). See docs/warrenctl.md.");
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The state of one run: options, output, and the (lazily opened) connection. */
    private static final class Invocation {
        final CtlOptions opts;
        final Output out;
        final PrintStream raw;
        final NodeLocator locator;
        ControlClient client;
        int fixedArgs;

        Invocation(CtlOptions opts, Map<String, String> env, Output out, PrintStream raw) throws CtlException {
            this.opts = opts;
            this.out = out;
            this.raw = raw;
            this.locator = new NodeLocator(env, opts.node());
        }

        String node() {
            return locator.node();
        }

        String arg(int i) {
            return opts.args().get(i);
        }

        String vhost() {
            return opts.vhostOrDefault();
        }

        int timeoutSeconds() {
            return opts.timeoutSeconds() == null ? 60 : opts.timeoutSeconds();
        }

        /** The connection, opened (and authenticated) on first use. */
        ControlClient connected(int timeoutMillis) throws CtlException {
            if (client == null) {
                client = locator.connect(timeoutMillis);
            }
            return client;
        }

        JsonNode call(String command, Map<String, ?> args) throws CtlException {
            connected(timeoutSeconds() * 1000);
            try {
                return client.call(command, args);
            } catch (ControlException e) {
                if (e.failure() == ControlClient.Failure.REFUSED) {
                    if (e.kind().equals("no_such_vhost") && LISTS_OF_A_VHOST.contains(command)) {
                        // rabbitmqctl lists nothing (no header either) for a vhost that does not exist, exit 0
                        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
                    }
                    throw refused(command, args, e);
                }
                throw locator.unreachable(List.of(e.getMessage()));
            }
        }

        /**
         * A node's refusal as rabbitmqctl 3.10 prints it (its sentences with the product names swapped;
         * the pairs are in docs/warrenctl.md and WarrenCtlErrorsTest).
         */
        private CtlException refused(String command, Map<String, ?> args, ControlException e) {
            String kind = e.kind();
            boolean permissions = command.equals("set_permissions") || command.equals("clear_permissions");
            if (kind.equals("bad_request") || kind.equals("unknown_command")) {
                return new CtlException(ExitCodes.USAGE, "Error: " + e.getMessage());
            }
            if (kind.equals("app_not_running") || kind.equals("app_running")) {
                return new CtlException(ExitCodes.USAGE, "Error: " + e.getMessage() + validationTail(COMMANDS.get(
                        opts.command())));
            }
            if (kind.equals("online_node_offline_flag")) {
                return new CtlException(ExitCodes.USAGE, "Error: this command requires the target node to be stopped."
                        + validationTail(COMMANDS.get(opts.command())));
            }
            if (kind.equals("no_such_vhost")) {
                // set/clear_permissions: "Error:\nVirtual host nope does not exist", 69; elsewhere bare, 65
                return permissions
                        ? new CtlException(ExitCodes.UNAVAILABLE, "Error:\nVirtual host " + args.get("vhost")
                                + " does not exist")
                        : new CtlException(ExitCodes.DATA_ERROR, e.getMessage());
            }
            if (kind.equals("no_such_user")) {
                if (permissions) {
                    return new CtlException(NO_USER, "Error:\nUser " + args.get("user") + " does not exist");
                }
                if (command.equals("list_user_permissions")) {
                    return new CtlException(ExitCodes.UNAVAILABLE, "Error:\n{:no_such_user, \"" + args.get("user")
                            + "\"}");
                }
                return new CtlException(NO_USER, "Error:\n" + e.getMessage());
            }
            if (kind.equals("cannot_cluster_with_itself")) {
                return new CtlException(ExitCodes.SOFTWARE, "Error:\nError: " + e.getMessage());
            }
            if (kind.equals("node_running") || kind.equals("not_a_cluster_node") || kind.equals("not_clustered")
                    || kind.equals("limits_error")) {
                return new CtlException(ExitCodes.UNAVAILABLE, "Error:\n" + e.getMessage());
            }
            Integer code = CLUSTER_REFUSALS.get(e.kind());
            if (code != null) {
                return new CtlException(code, "Error: " + e.getMessage());
            }
            String text = e.getMessage().isBlank() ? e.kind() : e.getMessage();
            return new CtlException(ExitCodes.SOFTWARE, "Error:\n" + text);
        }

        void disconnect() {
            if (client != null) {
                client.close();
                client = null;
            }
        }

        void close() {
            disconnect();
        }
    }
}
