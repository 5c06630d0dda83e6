package warren.cluster.jgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jgroups.JChannel;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TCP;
import org.jgroups.stack.Protocol;
import org.jgroups.stack.ProtocolStack;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import warren.cluster.ClusterSettings;

/** Real TCP channels on 127.0.0.1 with the production stack and {@link ClusterSettings.Timeouts#fast()}. */
class ClusterChannelTest {

    private static final String CLUSTER = "warren-test";
    private static final String COOKIE = "SHAREDCOOKIEVALUE";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final List<ClusterChannel> opened = new ArrayList<>();
    private final List<InetSocketAddress> seeds = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final List<JChannel> raw = new ArrayList<>();

    @BeforeEach
    void reservePortsAndCaptureLogs() throws IOException {
        for (int i = 0; i < 4; i++) {
            seeds.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()));
        }
        logs.start();
        ((Logger) LoggerFactory.getLogger(CookieAuth.class)).addAppender(logs);
        ((Logger) LoggerFactory.getLogger(ClusterChannel.class)).addAppender(logs);
    }

    @AfterEach
    void closeEveryChannel() {
        raw.forEach(JChannel::close);
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        ((Logger) LoggerFactory.getLogger(CookieAuth.class)).detachAppender(logs);
        ((Logger) LoggerFactory.getLogger(ClusterChannel.class)).detachAppender(logs);
    }

    @Test
    void threeSeededNodesFormOneViewOfThree() throws Exception {
        List<RecordingListener> listeners = startThree();

        for (RecordingListener l : listeners) {
            l.await("a view of 3", WAIT, r -> r.members().size() == 3);
            assertEquals(List.of("a@test", "b@test", "c@test"), l.members());
        }
        assertEquals("a@test", opened.get(2).coordinator());
        assertEquals(List.of("a@test", "b@test", "c@test"), opened.get(1).members());
    }

    @Test
    void concurrentBroadcastsAreDeliveredInTheSameOrderOnEveryNode() throws Exception {
        List<RecordingListener> listeners = startThree();
        awaitViewSize(listeners, 3);
        int perNode = 300;

        inParallel(opened.size(), t -> {
            ClusterChannel channel = opened.get(t);
            for (int i = 0; i < perNode; i++) {
                channel.broadcast((channel.nodeName() + "-" + i).getBytes(StandardCharsets.UTF_8));
            }
        });

        for (RecordingListener l : listeners) {
            l.await("all 900 broadcasts", WAIT, r -> r.state().size() == 3 * perNode);
        }
        List<String> order = listeners.get(0).state();
        assertEquals(order, listeners.get(1).state());
        assertEquals(order, listeners.get(2).state());
        assertTrue(order.indexOf("a@test-0") < order.indexOf("a@test-299"), "each sender's FIFO order kept");
    }

    /**
     * A node broadcasts from many threads at once (every client connection submits its own
     * definition changes): none may be lost. Each broadcast's per-sender number must follow the
     * order the broadcasts enter the channel, or a receiver takes a late lower number for one
     * already in its snapshot and drops it on every node.
     */
    @Test
    void broadcastsFromManyThreadsOfOneNodeAreAllDelivered() throws Exception {
        RecordingListener a = start("a@test", 0, COOKIE);
        RecordingListener b = start("b@test", 1, COOKIE);
        awaitViewSize(List.of(a, b), 2);
        int threads = 8;
        int perThread = 200;

        inParallel(threads, t -> {
            for (int i = 0; i < perThread; i++) {
                opened.get(0).broadcast(bytes("t" + t + "-" + i));
            }
        });

        for (RecordingListener l : List.of(a, b)) {
            l.await("all " + threads * perThread + " broadcasts", WAIT, r -> r.state().size() == threads * perThread);
        }
        assertEquals(a.state(), b.state());
    }

    @Test
    void joinerRestoresTheCoordinatorsSnapshotBeforeLaterBroadcasts() throws Exception {
        RecordingListener a = start("a@test", 0, COOKIE);
        RecordingListener b = start("b@test", 1, COOKIE);
        awaitViewSize(List.of(a, b), 2);
        opened.get(0).broadcast(bytes("x1"));
        opened.get(1).broadcast(bytes("x2"));
        b.await("x1 and x2", WAIT, r -> r.state().size() == 2);
        a.await("x1 and x2", WAIT, r -> r.state().size() == 2);

        RecordingListener c = start("c@test", 2, COOKIE);
        opened.get(2).broadcast(bytes("y1"));
        c.await("y1", WAIT, r -> r.state().contains("y1"));
        a.await("y1", WAIT, r -> r.state().contains("y1")); // c may see it before a does

        List<RecordingListener.Event> restores = c.events("restore");
        assertEquals(1, restores.size());
        assertEquals(String.join(",", a.state().subList(0, 2)), restores.get(0).text(), "the coordinator's x1, x2");
        assertEquals(List.of("restore", "deliver"), c.events().stream()
                .map(RecordingListener.Event::kind).filter(k -> !k.endsWith("view")).toList());
        assertEquals(a.state(), c.state());
    }

    @Test
    void nodeWithADifferentCookieIsRefusedWithAReasonAndReceivesNothing() throws Exception {
        RecordingListener a = start("a@test", 0, COOKIE);
        RecordingListener b = start("b@test", 1, COOKIE);
        awaitViewSize(List.of(a, b), 2);

        RecordingListener intruder = new RecordingListener();
        ClusterChannel d = open("d@test", 3, "SOMEOTHERCOOKIE", intruder);
        ClusterJoinRefusedException refused = assertThrows(ClusterJoinRefusedException.class, () -> d.start(CLUSTER));

        assertEquals("cluster join refused by a@test: the cookie differs (check $HOME/.warren.cookie on both nodes)",
                refused.getMessage());
        assertTrue(logged("refused cluster join from d@test"), "coordinator names the refused peer: " + logLines());
        assertTrue(logged("cluster join refused by a@test"), "joiner logs the reason: " + logLines());

        opened.get(0).broadcast(bytes("secret"));
        b.await("the broadcast", WAIT, r -> r.state().contains("secret"));
        assertEquals(List.of("a@test", "b@test"), a.members());
        assertEquals(List.of(), intruder.state());
        assertEquals(List.of(), d.members());
    }

    @Test
    void survivorsSeeAViewOfTwoWhenAMemberLeaves() throws Exception {
        List<RecordingListener> listeners = startThree();
        awaitViewSize(listeners, 3);

        opened.get(1).close();

        for (RecordingListener l : List.of(listeners.get(0), listeners.get(2))) {
            l.await("a view of 2", WAIT, r -> r.members().equals(List.of("a@test", "c@test")));
        }
    }

    @Test
    void healedPartitionIsReportedAsAMergedView() throws Exception {
        RecordingListener a = start("a@test", 0, COOKIE);
        RecordingListener b = start("b@test", 1, COOKIE);
        awaitViewSize(List.of(a, b), 2);
        DISCARD cutA = insertDiscard(opened.get(0));
        DISCARD cutB = insertDiscard(opened.get(1));

        cutA.discardAll(true);
        cutB.discardAll(true);
        a.await("a alone", WAIT, r -> r.members().equals(List.of("a@test")));
        b.await("b alone", WAIT, r -> r.members().equals(List.of("b@test")));
        assertFalse(a.sawMerge());

        cutA.discardAll(false);
        cutB.discardAll(false);
        for (RecordingListener l : List.of(a, b)) {
            l.await("a merged view of 2", WAIT, r -> r.sawMerge() && r.members().size() == 2);
        }
    }

    /**
     * Documents why the stack carries {@link CookieAuth}: with SYM_ENCRYPT alone the coordinator
     * cannot decrypt the outsider's JOIN and drops it, the outsider times out and quietly forms a
     * cluster of its own, and neither side says why.
     */
    @Test
    void withEncryptionAloneADifferentCookieEndsUpASilentSingleton() throws Exception {
        JChannel member = rawWithoutAuth("a@test", 0, COOKIE);
        member.connect(CLUSTER);
        JChannel outsider = rawWithoutAuth("d@test", 3, "SOMEOTHERCOOKIE");

        outsider.connect(CLUSTER);

        assertEquals(1, outsider.getView().size(), "the outsider formed its own cluster");
        assertEquals(1, member.getView().size());
    }

    private JChannel rawWithoutAuth(String name, int portIndex, String cookie) throws Exception {
        ClusterSettings settings = ClusterSettings.fast(name, seeds.get(portIndex).getPort(), seeds, cookie);
        List<Protocol> withoutAuth = JGroupsStack.build(settings).protocols().stream()
                .filter(p -> !(p instanceof CookieAuth))
                .toList();
        JChannel channel = new JChannel(withoutAuth).name(name);
        raw.add(channel);
        return channel;
    }

    private List<RecordingListener> startThree() throws Exception {
        return List.of(start("a@test", 0, COOKIE), start("b@test", 1, COOKIE), start("c@test", 2, COOKIE));
    }

    private RecordingListener start(String name, int portIndex, String cookie) throws Exception {
        RecordingListener listener = new RecordingListener();
        open(name, portIndex, cookie, listener).start(CLUSTER);
        return listener;
    }

    private ClusterChannel open(String name, int portIndex, String cookie, RecordingListener listener)
            throws ClusterException {
        ClusterSettings settings = ClusterSettings.fast(name, seeds.get(portIndex).getPort(), seeds, cookie);
        ClusterChannel channel = new ClusterChannel(settings, listener);
        opened.add(channel);
        return channel;
    }

    private static DISCARD insertDiscard(ClusterChannel channel) throws Exception {
        DISCARD discard = new DISCARD();
        channel.jchannel().getProtocolStack().insertProtocol(discard, ProtocolStack.Position.ABOVE, TCP.class);
        return discard;
    }

    private static void awaitViewSize(List<RecordingListener> listeners, int size) throws InterruptedException {
        for (RecordingListener l : listeners) {
            l.await("a view of " + size, WAIT, r -> r.members().size() == size);
        }
    }

    private boolean logged(String fragment) {
        return logLines().stream().anyMatch(line -> line.contains(fragment));
    }

    private List<String> logLines() {
        synchronized (logs.list) {
            return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private interface Sender {
        void run(int thread) throws Exception;
    }

    /** Runs {@code sender} on {@code threads} threads released at once; fails if one fails or is late. */
    private static void inParallel(int threads, Sender sender) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> sent = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                sent.add(pool.submit(() -> {
                    go.await();
                    sender.run(thread);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : sent) {
                f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
