package warren.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The per-machine list of running nodes (what epmd is for rabbitmqctl): one JSON file per node in a
 * shared run directory (mode 1777, like /tmp). warrenctl finds a local node's control port here.
 * Entries whose process is gone are ignored and removed.
 */
public final class NodeRegistry {

    /**
     * One running node; {@code distPort}/{@code distHost} are its cluster endpoint (0/null while its
     * app has never started), which join_cluster looks up as rabbitmqctl asks epmd.
     */
    public record Entry(String name, long pid, int amqpPort, int controlPort, int distPort, String distHost,
                        String controlHost) {
        public Entry(String name, long pid, int amqpPort, int controlPort) {
            this(name, pid, amqpPort, controlPort, 0, null, null);
        }

        public Entry(String name, long pid, int amqpPort, int controlPort, int distPort, String distHost) {
            this(name, pid, amqpPort, controlPort, distPort, distHost, null);
        }

        /** Where a client on this machine reaches the control listener: its address, or loopback for a wildcard bind. */
        public String controlConnectHost() {
            return controlHost == null || controlHost.isBlank() || controlHost.equals("0.0.0.0")
                    || controlHost.equals("::") ? "127.0.0.1" : controlHost;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public NodeRegistry(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Writes (atomically replaces) this node's entry. */
    public void register(Entry entry) throws IOException {
        ensureDir();
        Path target = fileOf(entry.name());
        Path tmp = dir.resolve("." + entry.name() + "." + entry.pid() + ".tmp");
        JSON.writeValue(tmp.toFile(), entry);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes the entry if it still belongs to {@code pid}. */
    public void unregister(String name, long pid) {
        lookup(name).filter(e -> e.pid() == pid).ifPresent(e -> deleteQuietly(fileOf(name)));
    }

    /** The live entry for {@code name}, if any; a dead process's entry is deleted. */
    public Optional<Entry> lookup(String name) {
        Path file = fileOf(name);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Entry entry;
        try {
            entry = JSON.readValue(file.toFile(), Entry.class);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (!ProcessHandle.of(entry.pid()).map(ProcessHandle::isAlive).orElse(false)) {
            deleteQuietly(file);
            return Optional.empty();
        }
        return Optional.of(entry);
    }

    /** Every live node registered on this machine. */
    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                lookup(file.substring(0, file.length() - ".json".length())).ifPresent(out::add);
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    private Path fileOf(String name) {
        return dir.resolve(name + ".json");
    }

    private void ensureDir() throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            // the sticky bit (1777) cannot be set through NIO; chmod does it where available
            new ProcessBuilder("chmod", "1777", dir.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (UnsupportedOperationException | IOException e) {
            // non-POSIX file system or no chmod: the directory still works for this user
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // another user's stale entry in a sticky directory; ignored
        }
    }
}
