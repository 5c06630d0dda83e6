package warren.core.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.amqp.AmqpException;
import warren.core.amqp.ChannelException;
import warren.core.amqp.Command;
import warren.core.amqp.CommandAssembler;
import warren.core.amqp.ConnectionException;
import warren.core.amqp.FieldTable;
import warren.core.amqp.Frame;
import warren.core.amqp.FrameWriter;
import warren.core.amqp.LongString;
import warren.core.amqp.Method;
import warren.core.amqp.MethodCodec;
import warren.core.amqp.ReplyCode;
import warren.core.amqp.method.ChannelClose;
import warren.core.amqp.method.ChannelCloseOk;
import warren.core.amqp.method.ChannelOpen;
import warren.core.amqp.method.ChannelOpenOk;
import warren.core.amqp.method.ConnectionBlocked;
import warren.core.amqp.method.ConnectionClose;
import warren.core.amqp.method.ConnectionCloseOk;
import warren.core.amqp.method.ConnectionOpen;
import warren.core.amqp.method.ConnectionOpenOk;
import warren.core.amqp.method.ConnectionStart;
import warren.core.amqp.method.ConnectionStartOk;
import warren.core.amqp.method.ConnectionTune;
import warren.core.amqp.method.ConnectionTuneOk;
import warren.core.amqp.method.ConnectionUnblocked;
import warren.core.amqp.method.ConnectionUpdateSecret;
import warren.core.amqp.method.ConnectionUpdateSecretOk;
import warren.core.broker.Broker;
import warren.core.broker.BrokerSettings;
import warren.core.broker.MemoryMonitor;
import warren.core.broker.VirtualHost;
import warren.core.queue.PublishCredit;
import warren.core.security.User;

/**
 * One AMQP connection as a state machine over frames: the handshake (start, tune, open), then
 * channel multiplexing, then close. Runs on the connection's thread only. Errors thrown by
 * handlers are turned into channel.close or connection.close here and nowhere else.
 */
public final class ConnectionSession implements Broker.ConnectionView {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionSession.class);
    private static final int MIN_FRAME_MAX = 4096;
    private static final long CLOSE_OK_TIMEOUT_MS = 3000;
    /** basic.publish's class and method ids as the first four octets of a method frame's payload. */
    private static final int BASIC_PUBLISH = (60 << 16) | 40;
    private static final int CONNECTION_CLOSE = (10 << 16) | 50;
    /**
     * Bytes of frames held (alarm) past which the socket is no longer read. Below it the socket is
     * still read so that a connection.close (or a small publisher's last frames) gets through.
     */
    static final int HOLD_BOUND = 128 * 1024;

    enum State { AWAITING_START_OK, AWAITING_TUNE_OK, AWAITING_OPEN, OPEN, CLOSING, CLOSED }

    private final Broker broker;
    private final ConnectionIo io;
    private final BrokerSettings settings;
    private final long connectedAt = System.currentTimeMillis();
    private final Map<Integer, ChannelSession> channels = new LinkedHashMap<>();
    private final Map<Integer, CommandAssembler> assemblers = new LinkedHashMap<>();
    private State state = State.AWAITING_START_OK;
    private Map<String, Object> clientProperties = Map.of();
    private Map<String, Object> clientCapabilities = Map.of();
    private String mechanism = "";
    private User user;
    private VirtualHost vhost;
    private int channelMax;
    private int frameMax;
    private int heartbeat;
    private boolean flushScheduled;
    private boolean blocked;
    /**
     * Frames read after a publish met the alarm, in arrival order (their payloads retained); the
     * socket is not read while they exceed {@link #HOLD_BOUND} bytes. Replayed once the alarm
     * clears, at a connection.close among them, or when the socket goes away, so nothing read is
     * ever dropped. Null when nothing is held.
     */
    private ArrayDeque<Frame> heldFrames;
    private long heldBytes;
    private boolean replaying;
    private boolean hasPublished;
    private boolean flowPaused;
    private boolean readingOff;
    private final MemoryMonitor memory;
    private final PublishCredit credit = new PublishCredit();
    /** The vhost this connection is counted in for max-connections (released at terminate), or null. */
    private String countedVhost;
    private final Consumer<Boolean> alarmListener = on -> execute(() -> onMemoryAlarm(memory().inAlarm()));

    public ConnectionSession(Broker broker, ConnectionIo io) {
        this.broker = broker;
        this.io = io;
        this.settings = broker.settings();
        this.channelMax = settings.channelMax() == 0 ? 65535 : settings.channelMax();
        this.frameMax = settings.frameMax();
        this.memory = broker.memory();
    }

    // ------------------------------------------------------------------ inbound

    /** The client sent a valid protocol header: start the handshake. */
    public void start() {
        Map<String, Object> capabilities = new LinkedHashMap<>();
        for (String c : new String[] {"publisher_confirms", "exchange_exchange_bindings", "basic.nack",
                "consumer_cancel_notify", "connection.blocked", "consumer_priorities", "authentication_failure_close",
                "per_consumer_qos", "direct_reply_to"}) {
            capabilities.put(c, true);
        }
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("capabilities", capabilities);
        props.put("cluster_name", settings.nodeName());
        props.put("copyright", "Copyright (c) the Warren authors");
        props.put("information", "Warren, an AMQP 0-9-1 broker; see README.md");
        props.put("platform", "Java " + System.getProperty("java.version"));
        props.put("product", "Warren");
        props.put("version", BrokerSettings.VERSION);
        send(0, new ConnectionStart(0, 9, props, LongString.of(String.join(" ", settings.authMechanisms())),
                LongString.of("en_US")));
        flush();
    }

    /**
     * One decoded frame. Never throws: errors become closes. While the memory or disk alarm is on,
     * a basic.publish and every frame after it are held until the alarm clears, as RabbitMQ's
     * reader stops at a publish of a blocked connection; past {@link #HOLD_BOUND} held bytes the
     * socket is no longer read. A connection.close among them is answered after the publishes
     * before it are routed (a bounded amount, whatever the alarm): a clean close loses nothing.
     */
    public void onFrame(Frame frame) {
        if (heldFrames != null || memory.inAlarm() && startsPublish(frame) && state == State.OPEN) {
            hold(frame);
            return;
        }
        process(frame);
    }

    private static boolean startsPublish(Frame frame) {
        ByteBuf p = frame.payload();
        return frame.type() == Frame.TYPE_METHOD && frame.channel() != 0 && p.readableBytes() >= 4
                && p.getInt(p.readerIndex()) == BASIC_PUBLISH;
    }

    private void hold(Frame frame) {
        if (frame.type() == Frame.TYPE_HEARTBEAT) {
            frame.payload().release(); // nothing to keep: it only had to arrive
            return;
        }
        if (heldFrames == null) {
            heldFrames = new ArrayDeque<>();
            heldBytes = 0;
            hasPublished = true;
            onMemoryAlarm(true);
        }
        heldFrames.add(frame);
        heldBytes += frame.payload().readableBytes() + Frame.OVERHEAD;
        if (frame.channel() == 0 && frame.type() == Frame.TYPE_METHOD && frame.payload().readableBytes() >= 4
                && frame.payload().getInt(frame.payload().readerIndex()) == CONNECTION_CLOSE) {
            replayHeld(true); // the client closes: route what it sent before, then answer close-ok
            return;
        }
        updateReading();
    }

    /**
     * Handles the held frames in order, until a publish meets the alarm again. With {@code force}
     * (the socket is gone) every one is handled whatever the alarm: what was read is never dropped.
     */
    private void replayHeld(boolean force) {
        if (replaying) {
            return;
        }
        replaying = true;
        try {
            while (heldFrames != null) {
                Frame f = heldFrames.peek();
                if (f == null) {
                    heldFrames = null;
                    break;
                }
                if (!force && memory.inAlarm() && startsPublish(f) && state == State.OPEN) {
                    return; // still (or again) blocked: keep holding, the socket stays unread
                }
                heldFrames.poll();
                heldBytes -= f.payload().readableBytes() + Frame.OVERHEAD;
                process(f);
            }
        } finally {
            replaying = false;
        }
        updateReading();
    }

    private void releaseHeld() {
        ArrayDeque<Frame> held = heldFrames;
        heldFrames = null;
        if (held != null) {
            for (Frame f : held) {
                f.payload().release();
            }
        }
    }

    private void process(Frame frame) {
        try {
            dispatch(frame);
        } catch (ConnectionException e) {
            closeConnection(e);
        } catch (ChannelException e) {
            // A channel error outside any channel (channel 0) is a connection error.
            closeConnection(new ConnectionException(e.replyCode(), e.getMessage(), e.classId(), e.methodId()));
        } catch (RuntimeException e) {
            LOG.error("internal error on connection {}", name(), e);
            closeConnection(new ConnectionException(ReplyCode.INTERNAL_ERROR, "internal error: " + e));
        } finally {
            frame.payload().release();
        }
    }

    /** The transport reports a frame-level error (bad size, bad end octet, unknown type). */
    public void onFrameError(ConnectionException e) {
        closeConnection(e);
    }

    private void dispatch(Frame frame) {
        if (state == State.CLOSED) {
            return;
        }
        if (frame.type() == Frame.TYPE_HEARTBEAT) {
            if (frame.channel() != 0) {
                throw new ConnectionException(ReplyCode.UNEXPECTED_FRAME, "heartbeat frame on channel " + frame.channel());
            }
            return;
        }
        if (frame.channel() == 0) {
            if (frame.type() != Frame.TYPE_METHOD) {
                throw new ConnectionException(ReplyCode.UNEXPECTED_FRAME, "content frame on channel 0");
            }
            onConnectionMethod(MethodCodec.decode(frame.payload()));
            return;
        }
        if (state == State.CLOSING) {
            return; // after connection.close only close/close-ok matter
        }
        if (state != State.OPEN) {
            throw new ConnectionException(ReplyCode.COMMAND_INVALID, "channel frame before connection.open");
        }
        onChannelFrame(frame);
    }

    private void onConnectionMethod(Method m) {
        switch (state) {
            case AWAITING_START_OK -> onStartOk(expect(m, ConnectionStartOk.class));
            case AWAITING_TUNE_OK -> onTuneOk(expect(m, ConnectionTuneOk.class));
            case AWAITING_OPEN -> onOpen(expect(m, ConnectionOpen.class));
            case OPEN -> onOpenConnectionMethod(m);
            case CLOSING -> {
                if (m instanceof ConnectionCloseOk) {
                    terminate();
                } else if (m instanceof ConnectionClose) {
                    send(0, new ConnectionCloseOk());
                    flush();
                    terminate();
                }
            }
            default -> { }
        }
    }

    private static <T extends Method> T expect(Method m, Class<T> type) {
        if (!type.isInstance(m)) {
            throw new ConnectionException(ReplyCode.COMMAND_INVALID, "expected " + type.getSimpleName()
                    + ", got " + m.name(), m.classId(), m.methodId());
        }
        return type.cast(m);
    }

    private void onOpenConnectionMethod(Method m) {
        if (m instanceof ConnectionClose) {
            // close-ok goes out (terminate flushes it) only once this connection's consumers have left their
            // queues and its exclusive queues are going away, as RabbitMQ answers after its channels ended:
            // what the client does next (redeclare an auto-delete queue, reuse an exclusive name) sees that
            send(0, new ConnectionCloseOk());
            terminate();
        } else if (m instanceof ConnectionUpdateSecret) {
            // Password-based auth has nothing to refresh; accept as RabbitMQ does for non-expiring credentials.
            send(0, new ConnectionUpdateSecretOk());
            flush();
        } else if (m instanceof ConnectionBlocked || m instanceof ConnectionUnblocked || m instanceof ConnectionCloseOk) {
            // Client-side notifications we can ignore.
        } else {
            throw new ConnectionException(ReplyCode.CHANNEL_ERROR, "unexpected " + m.name() + " on channel 0",
                    m.classId(), m.methodId());
        }
    }

    // ------------------------------------------------------------------ handshake

    private void onStartOk(ConnectionStartOk ok) {
        clientProperties = ok.clientProperties() == null ? Map.of() : ok.clientProperties();
        Object caps = clientProperties.get("capabilities");
        clientCapabilities = caps instanceof Map<?, ?> c ? castMap(c) : Map.of();
        mechanism = ok.mechanism();
        if (!settings.authMechanisms().contains(mechanism)) {
            throw new ConnectionException(ReplyCode.ACCESS_REFUSED, "unsupported authentication mechanism '"
                    + mechanism + "'", ok.classId(), ok.methodId());
        }
        String[] credentials = SaslCredentials.parse(mechanism, ok.response().bytes());
        User u = credentials == null ? null : broker.authenticate(credentials[0], credentials[1]);
        if (u == null) {
            LOG.warn("connection {}: authentication failed for user '{}' with mechanism {}", name(),
                    credentials == null ? "?" : credentials[0], mechanism);
            refuseLogin("Login was refused using authentication mechanism " + mechanism
                    + ". For details see the broker logfile.");
            return;
        }
        if (broker.isLoopbackOnly(u.name()) && !io.peerIsLoopback()) {
            LOG.warn("connection {}: user '{}' can only connect via localhost", name(), u.name());
            refuseLogin("user '" + u.name() + "' can only connect via localhost");
            return;
        }
        user = u;
        state = State.AWAITING_TUNE_OK;
        send(0, new ConnectionTune(channelMax, frameMax, settings.heartbeatSeconds()));
        flush();
    }

    /** authentication_failure_close: tell capable clients why, then close; others just see the socket close. */
    private void refuseLogin(String text) {
        if (Boolean.TRUE.equals(clientCapabilities.get("authentication_failure_close"))) {
            send(0, new ConnectionClose(ReplyCode.ACCESS_REFUSED.code(), "ACCESS_REFUSED - " + text, 0, 0));
            flush();
        }
        terminate();
    }

    private void onTuneOk(ConnectionTuneOk ok) {
        int requestedChannelMax = ok.channelMax() == 0 ? 65535 : ok.channelMax();
        if (requestedChannelMax > channelMax) {
            failNegotiation("channel_max", ok.channelMax(), "higher than the maximum", channelMax);
            return;
        }
        channelMax = requestedChannelMax;
        long requested = Integer.toUnsignedLong(ok.frameMax()); // an unsigned long on the wire
        if (requested != 0 && requested < MIN_FRAME_MAX) {
            failNegotiation("frame_max", requested, "lower than the minimum", MIN_FRAME_MAX);
            return;
        }
        if (frameMax != 0 && (requested == 0 || requested > frameMax)) {
            failNegotiation("frame_max", requested, "higher than the maximum", frameMax);
            return;
        }
        // frame_max 0 ("no limit") on both sides, or above what an int holds: the largest we can handle
        int requestedFrameMax = requested == 0 || requested > Integer.MAX_VALUE ? 0 : (int) requested;
        frameMax = requestedFrameMax;
        io.setMaxFrameSize(frameMax);
        heartbeat = ok.heartbeat();
        if (heartbeat > 0) {
            io.startHeartbeats(heartbeat);
        }
        state = State.AWAITING_OPEN;
    }

    /**
     * A tune-ok asking for more (or less) than allowed: as the spec says and RabbitMQ does, the socket
     * is closed without connection.close, and the node logs RabbitMQ's sentence.
     */
    private void failNegotiation(String field, long requested, String bound, long limit) {
        LOG.error("closing AMQP connection {}: failed to negotiate connection parameters: negotiated {} = {} is {}"
                + " allowed value ({})", name(), field, requested, bound, limit);
        terminate();
    }

    private void onOpen(ConnectionOpen open) {
        String vhostName = open.virtualHost();
        VirtualHost v = broker.vhost(vhostName);
        if (v == null) {
            throw new ConnectionException(ReplyCode.NOT_ALLOWED, "vhost " + vhostName + " not found",
                    open.classId(), open.methodId());
        }
        broker.limits().acquireConnection(vhostName, user.name());
        countedVhost = vhostName;
        if (!broker.hasAnyPermission(vhostName, user.name())) {
            throw new ConnectionException(ReplyCode.NOT_ALLOWED, "access to vhost '" + vhostName
                    + "' refused for user '" + user.name() + "'", open.classId(), open.methodId());
        }
        vhost = v;
        state = State.OPEN;
        broker.register(this);
        broker.memory().addListener(alarmListener);
        send(0, new ConnectionOpenOk());
        flush();
    }

    // ------------------------------------------------------------------ channels

    private void onChannelFrame(Frame frame) {
        int id = frame.channel();
        ChannelSession channel = channels.get(id);
        if (channel == null) {
            if (frame.type() != Frame.TYPE_METHOD) {
                throw new ConnectionException(ReplyCode.CHANNEL_ERROR, "content frame on unopened channel " + id);
            }
            Method m = MethodCodec.decode(frame.payload());
            if (!(m instanceof ChannelOpen)) {
                throw new ConnectionException(ReplyCode.CHANNEL_ERROR, "expected 'channel.open' on channel " + id
                        + ", got " + m.name(), m.classId(), m.methodId());
            }
            if (channels.size() >= channelMax) {
                // As RabbitMQ: the number of open channels is bounded, not the channel number.
                throw new ConnectionException(ReplyCode.NOT_ALLOWED, "number of channels opened (" + channels.size()
                        + ") has reached the negotiated channel_max (" + channelMax + ")");
            }
            broker.limits().acquireChannel(user.name());
            channels.put(id, new ChannelSession(this, id));
            assemblers.put(id, new CommandAssembler(settings.maxMessageSize()));
            send(id, new ChannelOpenOk());
            requestFlush();
            return;
        }
        if (channel.isClosing()) {
            // Awaiting channel.close-ok: drop everything else (spec 2.2.4 / RabbitMQ).
            if (frame.type() == Frame.TYPE_METHOD) {
                Method m = MethodCodec.decode(frame.payload());
                if (m instanceof ChannelCloseOk) {
                    removeChannel(id);
                } else if (m instanceof ChannelClose) {
                    send(id, new ChannelCloseOk());
                    requestFlush();
                }
            }
            return;
        }
        CommandAssembler assembler = assemblers.get(id);
        Command command;
        try {
            command = assembler.feed(frame);
        } catch (ChannelException e) {
            assembler.reset();
            closeChannel(channel, e);
            return;
        }
        if (command == null) {
            return;
        }
        Method m = command.method();
        if (m instanceof ChannelOpen) {
            throw new ConnectionException(ReplyCode.CHANNEL_ERROR, "second 'channel.open' seen on channel " + id,
                    m.classId(), m.methodId());
        }
        if (m instanceof ChannelClose) {
            channel.release();
            removeChannel(id);
            send(id, new ChannelCloseOk());
            requestFlush();
            return;
        }
        if (m instanceof ChannelCloseOk) {
            return;
        }
        try {
            channel.handle(command);
        } catch (ChannelException e) {
            closeChannel(channel, e.withMethod(m.classId(), m.methodId()));
        }
    }

    /** Sends channel.close for a soft error and waits for close-ok; the channel's resources go now. */
    void closeChannel(ChannelSession channel, ChannelException e) {
        if (channel.isClosing() || !channels.containsKey(channel.id())) {
            return;
        }
        LOG.debug("connection {} channel {}: {}", name(), channel.id(), e.replyText());
        channel.markClosing();
        channel.release();
        send(channel.id(), new ChannelClose(e.replyCode().code(), e.replyText(), e.classId(), e.methodId()));
        requestFlush();
    }

    private void removeChannel(int id) {
        if (channels.remove(id) != null) {
            broker.limits().releaseChannels(user.name(), 1);
        }
        assemblers.remove(id);
    }

    // ------------------------------------------------------------------ close

    /** Hard error: connection.close, then wait (bounded) for close-ok. */
    void closeConnection(AmqpException e) {
        if (state == State.CLOSING || state == State.CLOSED) {
            return;
        }
        if (state != State.OPEN) {
            LOG.warn("connection {} refused during handshake: {}", name(), e.replyText());
        } else {
            LOG.warn("closing connection {}: {}", name(), e.replyText());
        }
        releaseChannels();
        releaseHeld(); // the client is told why (connection.close); only its close-ok matters now
        state = State.CLOSING;
        updateReading();
        send(0, new ConnectionClose(e.replyCode().code(), e.replyText(), e.classId(), e.methodId()));
        flush();
        broker.timerSchedule(() -> execute(this::terminate), CLOSE_OK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /** The socket closed or is being closed: release everything. Idempotent. */
    public void terminate() {
        if (state == State.CLOSED) {
            return;
        }
        if (heldFrames != null && state == State.OPEN && !replaying) {
            // Gone with frames read but not yet handled (held by the alarm): publishes are routed now,
            // a bounded amount, rather than dropped without a word.
            replayHeld(true);
            if (state == State.CLOSED) {
                return;
            }
        }
        releaseHeld();
        releaseChannels();
        state = State.CLOSED;
        broker.unregister(this);
        if (countedVhost != null) {
            broker.limits().releaseConnection(countedVhost, user.name());
            countedVhost = null;
        }
        broker.memory().removeListener(alarmListener);
        if (vhost != null) {
            vhost.connectionClosed(this);
        }
        io.closeAfterFlush();
    }

    private void releaseChannels() {
        for (ChannelSession c : new ArrayList<>(channels.values())) {
            c.release();
        }
        if (!channels.isEmpty()) {
            broker.limits().releaseChannels(user.name(), channels.size());
        }
        channels.clear();
        assemblers.clear();
    }

    @Override
    public void forceClose(String reason) {
        execute(() -> closeConnection(new ConnectionException(ReplyCode.CONNECTION_FORCED, reason)));
    }

    // ------------------------------------------------------------------ flow control

    private MemoryMonitor memory() {
        return memory;
    }

    private void onMemoryAlarm(boolean on) {
        if (state != State.OPEN) {
            return;
        }
        boolean notify = Boolean.TRUE.equals(clientCapabilities.get("connection.blocked"));
        if (on && !blocked && !hasPublished) {
            return; // as RabbitMQ: a connection is blocked when it (next) publishes, not before
        }
        if (on && !blocked) {
            blocked = true;
            if (notify) {
                send(0, new ConnectionBlocked(memory.reason()));
                requestFlush();
            }
        } else if (!on && blocked) {
            blocked = false;
            if (notify) {
                send(0, new ConnectionUnblocked());
                requestFlush();
            }
            replayHeld(false);
        }
    }

    /** A publish is being handled: from now on the alarm blocks this connection (connection.blocked). */
    void published() {
        hasPublished = true;
    }

    /** What this connection has routed to local queues and they have not taken yet (per-connection credit). */
    PublishCredit credit() {
        return credit;
    }

    /**
     * Something this connection publishes to has fallen behind (a queue, its per-connection credit,
     * the message store): stop reading until it catches up (TCP pushes back on the publisher).
     * {@code whenCaughtUp} runs the given task, on any thread, once it has. Independent of the alarm.
     */
    void throttle(Consumer<Runnable> whenCaughtUp) {
        if (flowPaused) {
            return;
        }
        flowPaused = true;
        updateReading();
        whenCaughtUp.accept(() -> execute(() -> {
            flowPaused = false;
            if (state != State.CLOSED) {
                updateReading();
            }
        }));
    }

    /** The socket is read unless frames are held (alarm) or a flow source is behind. */
    private void updateReading() {
        boolean off = state != State.CLOSED
                && (flowPaused || heldFrames != null && heldBytes > HOLD_BOUND && state == State.OPEN);
        if (off != readingOff) {
            readingOff = off;
            io.setReading(!off);
        }
    }

    /** The socket's outbound buffer drained: consumers may take deliveries again. */
    public void onWritable() {
        for (ChannelSession c : channels.values()) {
            c.wakeConsumers();
        }
    }

    // ------------------------------------------------------------------ outbound

    void send(int channel, Method m) {
        ByteBuf buf = io.alloc().buffer(64);
        FrameWriter.writeMethod(buf, channel, m);
        io.write(buf);
    }

    void sendContent(int channel, Method m, byte[] rawProperties, byte[] body) {
        int size = 64 + rawProperties.length + body.length + 16 * (frameMax == 0 ? 1 : 1 + body.length / frameMax);
        ByteBuf buf = io.alloc().buffer(size);
        FrameWriter.writeContent(buf, channel, m, rawProperties, body, frameMax);
        io.write(buf);
    }

    void flush() {
        io.flush();
    }

    /** Flush once after the tasks already queued on this connection's thread have run. */
    void requestFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            io.execute(() -> {
                flushScheduled = false;
                io.flush();
            });
        }
    }

    /** Runs on this connection's thread. */
    void execute(Runnable task) {
        io.execute(task);
    }

    /** Runs on this connection's thread after its pending socket I/O (the next slice of long work). */
    void executeLater(Runnable task) {
        io.executeLater(task);
    }

    boolean isWritable() {
        return io.isWritable();
    }

    boolean isOpen() {
        return state == State.OPEN;
    }

    Broker broker() {
        return broker;
    }

    VirtualHost vhostObject() {
        return vhost;
    }

    User userObject() {
        return user;
    }

    boolean clientHas(String capability) {
        return Boolean.TRUE.equals(clientCapabilities.get(capability));
    }

    ChannelSession channel(int id) {
        return channels.get(id);
    }

    // ------------------------------------------------------------------ ConnectionView

    public String name() {
        return io.peerHost() + ":" + io.peerPort() + " -> " + io.localHost() + ":" + io.localPort();
    }

    @Override
    public String vhost() {
        return vhost == null ? null : vhost.name();
    }

    @Override
    public String user() {
        return user == null ? null : user.name();
    }

    @Override
    public Map<String, Object> info() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name());
        row.put("user", user());
        row.put("vhost", vhost());
        row.put("peer_host", io.peerHost());
        row.put("peer_port", io.peerPort());
        row.put("host", io.localHost());
        row.put("port", io.localPort());
        row.put("state", blocked ? (heldFrames != null ? "blocked" : "blocking") : flowPaused ? "flow" : "running");
        row.put("channels", channels.size());
        row.put("protocol", "AMQP 0-9-1");
        row.put("auth_mechanism", mechanism);
        row.put("connected_at", connectedAt);
        row.put("client_properties", clientProperties);
        row.put("timeout", heartbeat);
        row.put("frame_max", frameMax);
        row.put("channel_max", channelMax);
        return row;
    }

    @Override
    public List<Map<String, Object>> consumers() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ChannelSession c : channels.values()) {
            rows.addAll(c.consumerRows());
        }
        return rows;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static ByteBuf wrap(byte[] b) {
        return Unpooled.wrappedBuffer(b);
    }

    static Map<String, Object> readTable(byte[] b) {
        ByteBuf buf = Unpooled.buffer(b.length + 4);
        buf.writeInt(b.length).writeBytes(b);
        return FieldTable.read(buf);
    }
}
