package warren.server.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A hosts file for node JVMs ({@code -Djdk.net.hosts.file}): what {@code /etc/hosts} (or
 * {@code /etc/netns/<ns>/hosts}) says on the simulated machines, so peers are found by host names the
 * test machine itself does not know.
 */
final class Hosts {

    private Hosts() {
    }

    /** {@code dir/hosts} mapping each of {@code names} to the address at the same index. */
    static Path file(Path dir, List<String> names, List<String> addresses) throws IOException {
        StringBuilder b = new StringBuilder("127.0.0.1 localhost\n");
        for (int i = 0; i < names.size(); i++) {
            b.append(addresses.get(i)).append(' ').append(names.get(i)).append('\n');
        }
        Path file = dir.resolve("hosts");
        Files.createDirectories(dir);
        Files.writeString(file, b);
        return file;
    }
}
