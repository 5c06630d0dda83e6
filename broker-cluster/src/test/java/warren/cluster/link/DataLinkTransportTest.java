package warren.cluster.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import warren.cluster.Waits;
import warren.core.link.LinkConnection;

/** Two (or three) transports on 127.0.0.1: B is told about A and dials it. */
class DataLinkTransportTest {

    private static final String COOKIE = "SHAREDCOOKIEVALUE";
    private static final long WAIT_MS = 20_000;
    /** For the bulk transfers: seconds normally, far longer under a leak detector or a busy machine. */
    private static final long BULK_WAIT_MS = 180_000;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final List<DataLinkTransport> transports = new ArrayList<>();
    /** The two brokers of most tests: b is told about a and dials it. */
    private final RecordingEndpoint a = new RecordingEndpoint();
    private final RecordingEndpoint b = new RecordingEndpoint();
    private DataLinkTransport aTransport;
    private DataLinkTransport bTransport;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final List<Logger> watched = List.of(logger(LinkHandshakeHandler.class), logger(NettyLinkConnection.class),
            logger(PeerDialer.class));

    @BeforeEach
    void captureLogs() {
        logs.start();
        watched.forEach(l -> l.addAppender(logs));
    }

    @AfterEach
    void closeEverything() {
        transports.forEach(DataLinkTransport::close);
        watched.forEach(l -> l.detachAppender(logs));
    }

    @Test
    void dialledPeerIsConnectedAndTheListenerAcceptsItOnTheLinkThreads() throws Exception {
        InetSocketAddress aAddress = start("a", COOKIE, a);
        bTransport = transport("b", COOKIE, b);

        bTransport.peers(Map.of("a", aAddress, "b", new InetSocketAddress(LOOPBACK, 1)));

        await("b connected to a, a accepted b", () -> b.connected.size() == 1 && a.accepted.size() == 1);
        assertEquals("a", b.lastConnected().connection.peer());
        assertEquals("b", a.lastAccepted().connection.peer());
        assertTrue(a.connected.isEmpty(), "a was not told to dial anyone");
        assertTrue(b.accepted.isEmpty(), "only b's own name pointed at b, and it is ignored");
        b.lastConnected().connection.send(Unpooled.wrappedBuffer(new byte[] {1}));
        await("the frame", () -> a.lastAccepted().frames.get() == 1);
        assertTrue(a.lastAccepted().ioThread.getName().startsWith("warren-link-"), a.lastAccepted().ioThread.getName());
        assertTrue(a.lastAccepted().ioThread.isDaemon());
        await("the up log lines", () -> logged(Level.INFO, "to node a", "up") && logged(Level.INFO, "from node b", "up"));
    }

    @Test
    void framesFromThreeThreadsArriveWholeAndInOrderPerThreadAndEchoBack() throws Exception {
        a.onOpen(h -> {
            h.checkSequence = true;
            h.echo = true; // the echo is sent from the I/O thread, the in-loop path
        });
        b.onOpen(h -> h.checkSequence = true);
        LinkConnection toA = connect();

        int senders = 3;
        int perSender = 200_000 / senders;
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            List<Future<?>> sending = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int sender = s;
                sending.add(pool.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < perSender; i++) {
                        awaitWritable(toA);
                        int size = random.nextInt(10) == 0 ? 8 + random.nextInt(16 * 1024) : 8 + random.nextInt(512);
                        toA.send(RecordingHandler.sequenced(ByteBufAllocator.DEFAULT.buffer(size), sender, i, size));
                    }
                }));
            }
            for (Future<?> f : sending) {
                f.get(BULK_WAIT_MS, TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        long total = (long) senders * perSender;
        RecordingHandler atA = a.lastAccepted();
        RecordingHandler atB = b.lastConnected();
        Waits.await(total + " frames at a and their echoes at b", BULK_WAIT_MS,
                () -> atA.frames.get() == total && atB.frames.get() == total);
        assertEquals(List.of(), atA.errors);
        assertEquals(List.of(), atB.errors);
        assertEquals(atA.bytes.get(), atB.bytes.get());
    }

    @Test
    void tenMebibyteFrameArrivesWholeEitherWay() throws Exception {
        a.onOpen(h -> h.keepFrames = true);
        b.onOpen(h -> h.keepFrames = true);
        LinkConnection toA = connect();
        byte[] big = new byte[10 * 1024 * 1024];
        ThreadLocalRandom.current().nextBytes(big);

        toA.send(Unpooled.wrappedBuffer(big));
        a.lastAccepted().connection.send(Unpooled.wrappedBuffer(big));

        await("the big frame at a and at b", () -> a.lastAccepted().kept.size() == 1 && b.lastConnected().kept.size() == 1);
        assertArrayEquals(big, a.lastAccepted().kept.get(0));
        assertArrayEquals(big, b.lastConnected().kept.get(0));
    }

    @Test
    void wrongCookieIsRefusedOnBothSidesNamingThePeerAndTheBrokerNeverHearsOfIt() throws Exception {
        InetSocketAddress aAddress = start("a", COOKIE, a);

        transport("b", "SOMEOTHERCOOKIE", b).peers(Map.of("a", aAddress));

        await("a WARN on both sides", () -> logged(Level.WARN, "to node a", "cookies differ")
                && logged(Level.WARN, "from node b", "cookies differ"));
        // and still nothing after a redial
        await("a second refusal", () -> count(Level.WARN, "to node a", "cookies differ") >= 2);
        assertEquals(0, a.calls());
        assertEquals(0, b.calls());
        assertFalse(logged(Level.INFO, "node", "up"));
    }

    @Test
    void anotherNodeAnsweringAtThePeersAddressIsRefused() throws Exception {
        InetSocketAddress aAddress = start("a", COOKIE, a);

        transport("b", COOKIE, b).peers(Map.of("c", aAddress));

        await("the refusal on both sides", () -> logged(Level.WARN, "to node a", "expected node c")
                && logged(Level.WARN, "from node b", "a different node answered"));
        assertEquals(0, a.calls());
        assertEquals(0, b.calls());
    }

    @Test
    void closedPeerClosesTheLinkAndIsRedialledWhenItComesBackOnTheSamePort() throws Exception {
        connect();
        int port = aTransport.localAddress().getPort();
        RecordingHandler first = b.lastConnected();
        RecordingHandler firstAtA = a.lastAccepted();

        aTransport.close();

        assertEquals(1, firstAtA.closes.get(), "a's handler was closed before close() returned");
        await("b's handler closed", () -> first.closes.get() == 1);
        assertFalse(first.connection.isOpen());
        await("the down log line", () -> logged(Level.INFO, "to node a", "down"));

        RecordingEndpoint aAgain = new RecordingEndpoint();
        start("a", COOKIE, aAgain, port);

        await("b redialled a", () -> b.connected.size() == 2 && aAgain.accepted.size() == 1);
        assertTrue(b.lastConnected().connection.isOpen());
        assertEquals(1, first.closes.get(), "onClose runs once");
        assertEquals(2, count(Level.INFO, "to node a", "up"), "one up line per connection, none per redial");
    }

    @Test
    void peerDroppedFromTheListIsDisconnectedAndNotRedialled() throws Exception {
        connect();
        RecordingHandler atB = b.lastConnected();
        RecordingHandler atA = a.lastAccepted();

        bTransport.peers(Map.of());

        await("both handlers closed", () -> atB.closes.get() == 1 && atA.closes.get() == 1);
        // A redial would come after 100 ms; give it several times that to show up.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(600));
        assertEquals(1, b.connected.size());
        assertEquals(1, a.accepted.size());
        assertEquals(1, atB.closes.get());
    }

    @Test
    void peerListedAgainWithTheSameAddressKeepsItsOneConnection() throws Exception {
        connect();
        InetSocketAddress aAddress = aTransport.localAddress();

        for (int i = 0; i < 100; i++) {
            bTransport.peers(Map.of("a", new InetSocketAddress(LOOPBACK, aAddress.getPort())));
        }

        RecordingHandler atB = b.lastConnected();
        atB.connection.send(Unpooled.wrappedBuffer(new byte[] {7}));
        await("the frame", () -> a.lastAccepted().frames.get() == 1);
        assertEquals(1, b.connected.size());
        assertEquals(1, a.accepted.size());
        assertTrue(atB.connection.isOpen());
    }

    @Test
    void peerAtANewAddressIsDisconnectedAndDialledThere() throws Exception {
        connect();
        RecordingEndpoint aMoved = new RecordingEndpoint();
        InetSocketAddress moved = start("a", COOKIE, aMoved);
        RecordingHandler old = b.lastConnected();

        bTransport.peers(Map.of("a", moved));

        await("the old link closed and the new one up",
                () -> old.closes.get() == 1 && b.connected.size() == 2 && aMoved.accepted.size() == 1);
    }

    @Test
    void receiverThatStopsReadingMakesTheSenderUnwritableUntilItReadsAgain() throws Exception {
        a.onOpen(h -> h.connection.setAutoRead(false));
        LinkConnection toA = connect();
        RecordingHandler sender = b.lastConnected();

        // Send while writable. The kernel's socket buffers take a few MB before they fill, so the
        // sender may turn unwritable and writable again several times; it stays unwritable once they are
        // full. We stop at the first unwritable spell that sees no change for a second.
        int size = 64 * 1024;
        long sent = 0;
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (true) {
            if (System.currentTimeMillis() > deadline) {
                fail("the sender never stayed unwritable; sent " + sent + " frames, events " + sender.writability);
            }
            if (toA.isWritable()) {
                toA.send(Unpooled.wrappedBuffer(new byte[size]));
                sent++;
                continue;
            }
            int events = sender.writability.size();
            if (events > 0 && !sender.writability.get(events - 1) && !changesWithin(1_000, sender, events)) {
                break;
            }
        }
        assertEquals(0, a.lastAccepted().frames.get(), "nothing read while autoRead is off");
        assertAlternateFrom(false, sender.writability);

        a.lastAccepted().connection.setAutoRead(true);

        long expected = sent;
        await("writable again", () -> toA.isWritable()
                && sender.writability.get(sender.writability.size() - 1));
        await("every frame read", () -> a.lastAccepted().frames.get() == expected);
        assertAlternateFrom(false, sender.writability);
    }

    /** Whether {@code handler} sees another writability event within {@code ms}. */
    private static boolean changesWithin(long ms, RecordingHandler handler, int events) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (System.nanoTime() < until) {
            if (handler.writability.size() != events) {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return false;
    }

    private static void assertAlternateFrom(boolean first, List<Boolean> events) {
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i % 2 == 0 ? first : !first, events.get(i), "events alternate: " + events);
        }
    }

    @Test
    void frameOverTheLimitClosesTheConnectionNamingThePeer() throws Exception {
        int limit = 64 * 1024;
        InetSocketAddress aAddress = start(new DataLinkTransport("a", COOKIE, a, limit, Duration.ofSeconds(5)), 0);
        bTransport = new DataLinkTransport("b", COOKIE, b, limit, Duration.ofSeconds(5));
        transports.add(bTransport);
        bTransport.peers(Map.of("a", aAddress));
        await("connected", () -> b.connected.size() == 1 && a.accepted.size() == 1);
        LinkConnection toA = b.lastConnected().connection;

        toA.send(Unpooled.wrappedBuffer(new byte[limit]));
        toA.send(Unpooled.wrappedBuffer(new byte[limit + 1]));

        await("a closed the link", () -> a.lastAccepted().closes.get() == 1 && b.connected.get(0).closes.get() == 1);
        assertEquals(1, a.lastAccepted().frames.get(), "the frame at the limit was delivered");
        assertTrue(logged(Level.WARN, "from node b", String.valueOf(limit + 1)), "the log names the peer and the size");
    }

    @Test
    void strangerThatSaysNothingIsClosedAfterTheHandshakeTimeout() throws Exception {
        InetSocketAddress aAddress = start(new DataLinkTransport("a", COOKIE, a, DataLinkTransport.MAX_FRAME_BYTES,
                Duration.ofMillis(200)), 0);

        try (Socket stranger = new Socket(aAddress.getAddress(), aAddress.getPort())) {
            stranger.setSoTimeout((int) WAIT_MS);
            InputStream in = stranger.getInputStream();
            assertEquals(-1, in.read(), "closed without a word");
        }
        await("the timeout is logged", () -> logged(Level.WARN, "from unknown node", "no answer within 200 ms"));
        assertEquals(0, a.calls());
    }

    @Test
    void strangerAnnouncingAHugeFrameBeforeTheHandshakeIsClosed() throws Exception {
        InetSocketAddress aAddress = start("a", COOKIE, a);

        try (Socket stranger = new Socket(aAddress.getAddress(), aAddress.getPort())) {
            stranger.setSoTimeout((int) WAIT_MS);
            stranger.getOutputStream().write("AMQP\0\0\u0009\u0001".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, stranger.getInputStream().read());
        }
        assertEquals(0, a.calls());
    }

    @Test
    void sendAfterCloseReleasesTheFrame() throws Exception {
        LinkConnection toA = connect();

        toA.close();
        ByteBuf late = ByteBufAllocator.DEFAULT.buffer(16).writeLong(1);
        toA.send(late);

        assertEquals(0, late.refCnt());
        assertFalse(toA.isOpen());
        await("both handlers closed once", () -> b.lastConnected().closes.get() == 1 && a.lastAccepted().closes.get() == 1);
    }

    @Test
    void closingTheTransportClosesEveryHandlerOnce() throws Exception {
        connect();
        RecordingHandler atB = b.lastConnected();

        bTransport.close();
        bTransport.close();

        assertEquals(1, atB.closes.get());
        await("a's side closed too", () -> a.lastAccepted().closes.get() == 1);
    }

    /** Measured, not asserted: the machine is shared and has two cores. */
    @Test
    void printsOneWayThroughputOfOneKibFrames() throws Exception {
        LinkConnection toA = connect();
        RecordingHandler atA = a.lastAccepted();
        int count = 300_000;
        byte[] payload = new byte[1024];

        long started = System.nanoTime();
        for (int i = 0; i < count; i++) {
            awaitWritable(toA);
            toA.send(Unpooled.wrappedBuffer(payload));
        }
        Waits.await("every frame", BULK_WAIT_MS, () -> atA.frames.get() == count);
        double seconds = (System.nanoTime() - started) / 1e9;

        System.out.printf("data link, 1 KiB frames one way: %d frames in %.2f s = %.0f msgs/s%n",
                count, seconds, count / seconds);
    }

    // ---- helpers

    /** Starts a, tells b about it and waits until both sides have their connection; returns b's. */
    private LinkConnection connect() throws InterruptedException {
        InetSocketAddress aAddress = start("a", COOKIE, a);
        aTransport = transports.get(transports.size() - 1);
        bTransport = transport("b", COOKIE, b);
        bTransport.peers(Map.of("a", aAddress));
        await("b connected to a", () -> b.connected.size() == 1 && a.accepted.size() == 1);
        return b.lastConnected().connection;
    }

    private InetSocketAddress start(String node, String cookie, RecordingEndpoint endpoint) {
        return start(node, cookie, endpoint, 0);
    }

    private InetSocketAddress start(String node, String cookie, RecordingEndpoint endpoint, int port) {
        return start(transport(node, cookie, endpoint), port);
    }

    private InetSocketAddress start(DataLinkTransport transport, int port) {
        if (!transports.contains(transport)) {
            transports.add(transport);
        }
        InetSocketAddress address = transport.start(LOOPBACK, port);
        assertNotNull(address);
        return address;
    }

    private DataLinkTransport transport(String node, String cookie, RecordingEndpoint endpoint) {
        DataLinkTransport transport = new DataLinkTransport(node, cookie, endpoint);
        transports.add(transport);
        return transport;
    }

    private static void awaitWritable(LinkConnection connection) {
        while (!connection.isWritable()) {
            if (!connection.isOpen()) {
                throw new IllegalStateException("the link closed while sending");
            }
            LockSupport.parkNanos(50_000);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Waits.await(what, WAIT_MS, condition);
    }

    private boolean logged(Level level, String... parts) {
        return count(level, parts) > 0;
    }

    private long count(Level level, String... parts) {
        return List.copyOf(logs.list).stream()
                .filter(e -> e.getLevel() == level)
                .map(ILoggingEvent::getFormattedMessage)
                .filter(m -> Arrays.stream(parts).allMatch(m::contains))
                .count();
    }

    private static Logger logger(Class<?> type) {
        return (Logger) LoggerFactory.getLogger(type);
    }
}
