package warren.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * warrenctl's error sentences and exit codes against rabbitmqctl 3.10's, recorded from a real
 * RabbitMQ 3.10 node (bench@localhost) with only the product names swapped (RabbitMQ -> Warren,
 * rabbitmqctl -> warrenctl, rabbit -> warren). docs/warrenctl.md lists the same pairs. The usage
 * lines that follow a validation error are Warren's own (its options differ) and are not compared.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WarrenCtlErrorsTest {

    @TempDir
    static Path dir;

    private TestNode node;
    private String err;
    private String out;

    @BeforeAll
    void start() throws Exception {
        node = new TestNode(dir, "errtest");
    }

    @AfterAll
    void stop() throws Exception {
        node.close();
    }

    private int ctl(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = WarrenCtl.run(args, node.env, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        err = e.toString(StandardCharsets.UTF_8);
        out = o.toString(StandardCharsets.UTF_8);
        return code;
    }

    /** Runs {@code args} against the node: exit {@code code}, stderr starting with {@code text}. */
    private void says(int code, String text, String... args) {
        int got = ctl(args);
        assertTrue(err.startsWith(text), String.join(" ", args) + ": expected stderr to start with\n" + text
                + "\n--- but it was\n" + err);
        assertEquals(code, got, String.join(" ", args) + ": " + err);
    }

    private static String argsGiven(String... args) {
        return "\nArguments given:\n\t" + String.join(" ", args) + "\n\nUsage\n\n";
    }

    @Test
    @Order(1)
    void usageAndArgumentValidation() {
        says(64, "\nCommand 'frobnicate' not found. \n", "-n", "errtest", "frobnicate");
        says(64, "Error (argument validation): too many arguments." + argsGiven("-n", "errtest", "add_user", "a", "b",
                "c"), "-n", "errtest", "add_user", "a", "b", "c");
        says(64, "Error (argument validation): not enough arguments." + argsGiven("-n", "errtest", "join_cluster"),
                "-n", "errtest", "join_cluster");
        says(64, "Error (argument validation): Info key(s) bogus are not supported" + argsGiven("-n", "errtest",
                "list_queues", "name", "bogus"), "-n", "errtest", "list_queues", "name", "bogus");
        says(64, "Error (argument validation): Info key(s) bogus are not supported", "-n", "errtest", "list_vhosts",
                "bogus");
        says(65, "Error (argument validation): Bad argument: The node type must be either disc or ram."
                + argsGiven("-n", "errtest", "change_cluster_node_type", "fast"),
                "-n", "errtest", "change_cluster_node_type", "fast");
        says(64, "Error (argument validation): Invalid options for this command:\n-t : abc\nArguments given:\n\t-n "
                + "errtest -t abc list_users", "-n", "errtest", "-t", "abc", "list_users");
        says(64, "Error (argument validation): Invalid options for this command:\n--bogus : \nArguments given:\n\t"
                + "-n errtest --bogus list_users", "-n", "errtest", "--bogus", "list_users");
        says(64, "Error:\n\nCommand 'frobnicate' not found.", "-n", "errtest", "help", "frobnicate");
    }

    @Test
    @Order(2)
    void usersVhostsAndPermissions() {
        assertEquals(0, ctl("-n", "errtest", "add_user", "bob", "x"), err);
        says(70, "Error:\nUser \"bob\" already exists\n", "-n", "errtest", "add_user", "bob", "x");
        says(67, "Error:\nUser \"nosuch\" does not exist\n", "-n", "errtest", "delete_user", "nosuch");
        says(67, "Error:\nUser \"nosuch\" does not exist\n", "-n", "errtest", "change_password", "nosuch", "p");
        says(67, "Error:\nUser \"nosuch\" does not exist\n", "-n", "errtest", "set_user_tags", "nosuch", "a");
        says(65, "Error:\nError: failed to authenticate user \"bob\"\nuser 'bob' - invalid credentials\n",
                "-n", "errtest", "authenticate_user", "bob", "wrong");
        says(65, "Virtual host 'nope' does not exist\n", "-n", "errtest", "delete_vhost", "nope");
        says(65, "Virtual host 'nope' does not exist\n", "-n", "errtest", "list_permissions", "-p", "nope");
        says(69, "Error:\nVirtual host nope does not exist\n", "-n", "errtest", "set_permissions", "-p", "nope",
                "bob", ".*", ".*", ".*");
        says(67, "Error:\nUser nosuch does not exist\n", "-n", "errtest", "set_permissions", "nosuch", ".*", ".*",
                ".*");
        says(69, "Error:\nVirtual host nope does not exist\n", "-n", "errtest", "clear_permissions", "-p", "nope",
                "bob");
        says(67, "Error:\nUser nosuch does not exist\n", "-n", "errtest", "clear_permissions", "nosuch");
        says(69, "Error:\n{:no_such_user, \"nosuch\"}\n", "-n", "errtest", "list_user_permissions", "nosuch");
        // a vhost that does not exist: rabbitmqctl prints its banner only, exit 0
        assertEquals(0, ctl("-n", "errtest", "list_queues", "-p", "nope"), err);
        assertEquals("Timeout: 60.0 seconds ...\nListing queues for vhost nope ...\n", out);
        assertEquals(0, ctl("-n", "errtest", "list_exchanges", "-p", "nope"), err);
        assertEquals("Listing exchanges for vhost nope ...\n", out);
        assertEquals(0, ctl("-n", "errtest", "list_bindings", "-p", "nope"), err);
        assertEquals("Listing bindings for vhost nope...\n", out);
        assertEquals(0, ctl("-n", "errtest", "list_consumers", "-p", "nope"), err);
        assertEquals("Listing consumers in vhost nope ...\n", out);
    }

    @Test
    @Order(3)
    void clusterCommands() {
        String self = node.nodeName;
        says(64, "Error: this command requires the 'warren' app to be stopped on the target node. Stop it with "
                + "'warrenctl stop_app'." + argsGiven("-n", "errtest", "reset"), "-n", "errtest", "reset");
        says(69, "Error:\n{:not_a_cluster_node, 'The node selected is not in the cluster.'}\n",
                "-n", "errtest", "forget_cluster_node", "nosuch@localhost");
        says(69, "Error:\nWarren on node " + self + " must be stopped with 'warrenctl -n " + self + " stop_app' "
                + "before it can be removed\n", "-n", "errtest", "forget_cluster_node", self);
        says(64, "Error: this command requires the target node to be stopped." + argsGiven("-n", "errtest",
                "forget_cluster_node", "--offline", "nosuch@localhost"),
                "-n", "errtest", "forget_cluster_node", "--offline", "nosuch@localhost");
        assertEquals(0, ctl("-n", "errtest", "stop_app"), err);
        try {
            says(69, "Error:\nwarren_is_not_running\n", "-n", "errtest", "-t", "3", "await_startup");
            says(64, "Error: this command requires the 'warren' app to be running on the target node. Start it with "
                    + "'warrenctl start_app'." + argsGiven("-n", "errtest", "cluster_status"),
                    "-n", "errtest", "cluster_status");
            says(70, "Error:\nError: cannot cluster node with itself: " + self + "\n",
                    "-n", "errtest", "join_cluster", self);
            says(69, "Error:\n{:not_clustered, 'Non-clustered nodes can only be disc nodes.'}\n",
                    "-n", "errtest", "change_cluster_node_type", "ram");
        } finally {
            assertEquals(0, ctl("-n", "errtest", "start_app"), err);
        }
        assertEquals(0, ctl("-n", "errtest", "-t", "10", "await_startup"), err);
    }
}
