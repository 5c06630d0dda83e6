package warren.server.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.MessageProperties;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import warren.server.process.NodeProcess;

/**
 * A node whose RocksDB files are garbage must refuse to start (non-zero exit), say which directory and
 * what to do, and leave the directory exactly as it was (names, sizes and SHA-256 of every file).
 */
class CorruptDataDirIT {

    @TempDir
    Path dir;

    private NodeProcess node;

    @AfterEach
    void killNode() {
        if (node != null) {
            node.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"garbage-manifest", "current-points-to-missing-manifest"})
    void corruptStoreIsRefusedAndLeftUntouched(String corruption) throws Exception {
        node = new NodeProcess(dir.resolve("node")).start();
        try (Connection c = node.connect(); Channel ch = c.createChannel()) {
            ch.queueDeclare("keep", true, false, false, null);
            ch.confirmSelect();
            ch.basicPublish("", "keep", MessageProperties.PERSISTENT_BASIC, "x".getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(10_000);
        }
        int stopped = node.stop();
        assertTrue(NodeProcess.cleanExit(stopped), "clean stop, exit " + stopped);
        assertTrue(node.allLogs().contains("stopped"), "node logged its stop");
        Path store = node.dataDir().resolve("store");
        Path manifest;
        try (Stream<Path> s = Files.list(store)) {
            manifest = s.filter(p -> p.getFileName().toString().startsWith("MANIFEST-")).findFirst().orElseThrow();
        }
        if (corruption.equals("garbage-manifest")) {
            byte[] junk = new byte[(int) Math.max(4096, Files.size(manifest))];
            new Random(42).nextBytes(junk);
            Files.write(manifest, junk);
        } else {
            Files.writeString(store.resolve("CURRENT"), "MANIFEST-999999\n");
        }
        TreeMap<String, String> before = snapshot(node.dataDir());

        int code = node.startExpectingExit(Duration.ofSeconds(60));
        String console = Files.readString(node.consoleFile(), StandardCharsets.ISO_8859_1);
        assertNotEquals(0, code, "node with a corrupt store must exit non-zero; console:\n" + console);
        assertTrue(console.contains(store.toString()), "the error names the store directory " + store + ":\n" + console);
        assertTrue(console.contains("move it aside"), "the error says what to do:\n" + console);
        String log = node.allLogs();
        assertTrue(log.contains("cannot use its data"), "the node log has the error:\n" + NodeProcess.tail(node.logFile(), 20));

        TreeMap<String, String> after = snapshot(node.dataDir());
        assertEquals(before, after, "the data directory was modified by the failed start");
    }

    /** relative path -> size + SHA-256 of every file (directories as "dir"). */
    static TreeMap<String, String> snapshot(Path root) throws IOException {
        TreeMap<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    out.put(rel, "dir");
                } else {
                    byte[] b = Files.readAllBytes(p);
                    try {
                        out.put(rel, b.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)));
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return out;
    }
}
