package warren.cluster;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.function.BooleanSupplier;

/** What the cluster tests share: a bounded wait on a condition and a free loopback port. */
public final class Waits {
    private Waits() {
    }

    public static void await(String what, long waitMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + waitMs;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("timed out after " + waitMs + " ms waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
