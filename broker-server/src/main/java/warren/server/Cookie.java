package warren.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Set;
import warren.server.config.ConfigError;

/**
 * The shared secret of a cluster and its CLI (RabbitMQ's Erlang cookie): a file readable by its
 * owner only. A node creates it at first start (mode 0400); warrenctl only reads it. A cookie
 * file that group or others may access is refused, as RabbitMQ refuses one.
 */
public final class Cookie {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static final int LENGTH = 32;

    private Cookie() {
    }

    /** Reads the cookie, creating the file with a random value and mode 0400 if it does not exist. */
    public static String loadOrCreate(Path file) {
        if (!Files.exists(file)) {
            try {
                create(file);
            } catch (FileAlreadyExistsException raced) {
                // another process created it first; read theirs
            } catch (IOException e) {
                throw new ConfigError("Cookie file " + file + " could not be created: " + e
                        + "; create it yourself (any 20+ characters, chmod 400) or set WARREN_COOKIE_FILE");
            }
        }
        return read(file);
    }

    /** Reads an existing cookie, checking that only its owner may access it. */
    public static String read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigError("Cookie file " + file + " does not exist; start the node once to create it, "
                    + "copy it from a cluster node, or set WARREN_COOKIE_FILE");
        }
        checkOwnerOnly(file);
        String value;
        try {
            value = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new ConfigError("Cookie file " + file + " could not be read: " + e
                    + "; check that it belongs to the user running this command");
        }
        if (value.isEmpty()) {
            throw new ConfigError("Cookie file " + file + " is empty; put the cluster's cookie in it or delete it "
                    + "so that the node creates a new one");
        }
        return value;
    }

    private static void create(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        SecureRandom random = new SecureRandom();
        StringBuilder value = new StringBuilder(LENGTH);
        for (int i = 0; i < LENGTH; i++) {
            value.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        if (isPosix(file.toAbsolutePath().getParent())) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, value, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        } else {
            Files.writeString(file, value, StandardCharsets.UTF_8);
        }
    }

    private static void checkOwnerOnly(Path file) {
        if (!isPosix(file)) {
            return;
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (IOException e) {
            throw new ConfigError("Cookie file " + file + " could not be inspected: " + e);
        }
        for (PosixFilePermission p : perms) {
            if (!p.name().startsWith("OWNER_")) {
                throw new ConfigError("Cookie file " + file + " must be accessible by owner only (it is "
                        + PosixFilePermissions.toString(perms) + "); run: chmod 400 " + file);
            }
        }
    }

    private static boolean isPosix(Path path) {
        return path != null && Files.getFileAttributeView(path, PosixFileAttributeView.class) != null;
    }
}
