package warren.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WarrenCtlTest {

    @TempDir
    Path dir;

    private TestNode node;
    private String out;
    private String err;

    @BeforeEach
    void startNode() throws Exception {
        node = new TestNode(dir, "ctltest");
    }

    @AfterEach
    void stopNode() throws Exception {
        node.close();
    }

    private int ctl(String... args) {
        return ctlWith(node.env, args);
    }

    private int ctlWith(Map<String, String> env, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = WarrenCtl.run(args, env, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void listUsersPrintsBannerHeaderAndTabSeparatedRows() {
        assertEquals(0, ctl("-n", "ctltest", "list_users"), err);
        assertEquals("Listing users ...\nuser\ttags\nguest\t[administrator]\n", out);
        assertEquals(0, ctl("-n", "ctltest", "-q", "list_users"), err);
        assertEquals("guest\t[administrator]\n", out);
    }

    @Test
    void userLifecycleThroughTheCli() {
        assertEquals(0, ctl("-n", node.nodeName, "add_user", "bob", "s3cret"), err);
        assertTrue(out.startsWith("Adding user \"bob\" ...\n"), out);
        assertEquals(0, ctl("-n", "ctltest", "set_user_tags", "bob", "monitoring", "management"), err);
        assertEquals(0, ctl("-n", "ctltest", "authenticate_user", "bob", "s3cret"), err);
        assertTrue(out.contains("Success"), out);
        assertEquals(65, ctl("-n", "ctltest", "authenticate_user", "bob", "wrong"));
        assertEquals(0, ctl("-n", "ctltest", "add_vhost", "prod"), err);
        assertEquals(0, ctl("-n", "ctltest", "set_permissions", "-p", "prod", "bob", ".*", "^amq\\.", ".*"), err);
        assertEquals(0, ctl("-n", "ctltest", "-q", "list_permissions", "-p", "prod"), err);
        assertEquals("bob\t.*\t^amq\\.\t.*\n", out);
        assertEquals(0, ctl("-n", "ctltest", "-q", "list_user_permissions", "bob"), err);
        assertEquals("prod\t.*\t^amq\\.\t.*\n", out);
        assertEquals(0, ctl("-n", "ctltest", "clear_permissions", "-p", "prod", "bob"), err);
        assertEquals(0, ctl("-n", "ctltest", "change_password", "bob", "other"), err);
        assertEquals(0, ctl("-n", "ctltest", "delete_user", "bob"), err);
        assertEquals(0, ctl("-n", "ctltest", "delete_vhost", "prod"), err);
    }

    @Test
    void jsonFormatterPrintsAnArrayOfObjects() throws Exception {
        assertEquals(0, ctl("-n", "ctltest", "--formatter", "json", "list_vhosts"), err);
        JsonNode json = new ObjectMapper().readTree(out);
        assertTrue(json.isArray(), out);
        assertEquals("/", json.get(0).get("name").asText());
    }

    @Test
    void listQueuesAndExchangesUseRabbitmqctlDefaultColumns() {
        assertEquals(0, ctl("-n", "ctltest", "list_queues"), err);
        assertTrue(out.contains("Listing queues for vhost / ...\nname\tmessages\n"), out);
        assertEquals(0, ctl("-n", "ctltest", "list_exchanges"), err);
        assertTrue(out.contains("name\ttype\n"), out);
        assertTrue(out.contains("amq.topic\ttopic\n"), out);
    }

    @Test
    void statusAndPingWork() {
        assertEquals(0, ctl("-n", "ctltest", "status"), err);
        assertTrue(out.startsWith("Status of node " + node.nodeName + " ..."), out);
        assertEquals(0, ctl("-n", "ctltest", "ping"), err);
        assertTrue(out.contains("Ping succeeded"), out);
        assertEquals(0, ctl("-n", "ctltest", "-t", "5", "await_startup"), err);
    }

    @Test
    void usageErrorsExit64() {
        assertEquals(64, ctl("-n", "ctltest", "frobnicate"));
        assertTrue(err.contains("'frobnicate'"), err);
        assertEquals(64, ctl("-n", "ctltest", "add_user", "onlyname"));
        assertTrue(err.contains("Usage\n\nwarrenctl"), err);
        assertEquals(64, ctl("-n", "ctltest", "list_queues", "name", "bogus"));
        assertTrue(err.startsWith("Error (argument validation): Info key(s) bogus are not supported\n"), err);
        assertEquals(64, ctl());
    }

    @Test
    void refusedOperationsExit70WithTheNodesMessage() {
        assertEquals(0, ctl("-n", "ctltest", "add_user", "bob", "x"), err);
        assertEquals(70, ctl("-n", "ctltest", "add_user", "bob", "x"));
        assertTrue(err.contains("Error:\nUser \"bob\" already exists"), err);
        assertEquals(65, ctl("-n", "ctltest", "delete_vhost", "nope"));
    }

    @Test
    void unknownNodeExits69WithDiagnostics() {
        assertEquals(69, ctl("-n", "nosuchnode", "status"));
        assertTrue(err.startsWith("Error: unable to perform an operation on node 'nosuchnode@"), err);
        assertTrue(err.contains("not running at all"), err);
        assertTrue(err.contains("other nodes on"), err);
    }

    @Test
    void wrongCookieExits69() throws Exception {
        Path wrong = dir.resolve("wrong-cookie");
        Files.writeString(wrong, "NOTTHECOOKIENOTTHECOOKIE");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("r--------"));
        Map<String, String> env = new HashMap<>(node.env);
        env.put("WARREN_COOKIE_FILE", wrong.toString());
        assertEquals(69, ctlWith(env, "-n", "ctltest", "list_users"));
        assertTrue(err.contains("cookie challenge failed"), err);
    }

    @Test
    void missingCookieIsRefusedNamingThePath() {
        Map<String, String> env = new HashMap<>(node.env);
        env.put("WARREN_COOKIE_FILE", dir.resolve("absent").toString());
        assertEquals(70, ctlWith(env, "-n", "ctltest", "list_users"));
        assertTrue(err.contains(dir.resolve("absent").toString()), err);
    }
}
