package warren.core.session;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import warren.core.amqp.AmqpException;
import warren.core.amqp.BasicProperties;
import warren.core.amqp.ChannelException;
import warren.core.amqp.Command;
import warren.core.amqp.ConnectionException;
import warren.core.amqp.Method;
import warren.core.amqp.ReplyCode;
import warren.core.amqp.method.AccessRequest;
import warren.core.amqp.method.AccessRequestOk;
import warren.core.amqp.method.BasicAck;
import warren.core.amqp.method.BasicCancel;
import warren.core.amqp.method.BasicCancelOk;
import warren.core.amqp.method.BasicConsume;
import warren.core.amqp.method.BasicConsumeOk;
import warren.core.amqp.method.BasicDeliver;
import warren.core.amqp.method.BasicGet;
import warren.core.amqp.method.BasicGetEmpty;
import warren.core.amqp.method.BasicGetOk;
import warren.core.amqp.method.BasicNack;
import warren.core.amqp.method.BasicPublish;
import warren.core.amqp.method.BasicQos;
import warren.core.amqp.method.BasicQosOk;
import warren.core.amqp.method.BasicRecover;
import warren.core.amqp.method.BasicRecoverAsync;
import warren.core.amqp.method.BasicRecoverOk;
import warren.core.amqp.method.BasicReject;
import warren.core.amqp.method.BasicReturn;
import warren.core.amqp.method.ChannelFlow;
import warren.core.amqp.method.ChannelFlowOk;
import warren.core.amqp.method.ConfirmSelect;
import warren.core.amqp.method.ConfirmSelectOk;
import warren.core.amqp.method.ExchangeBind;
import warren.core.amqp.method.ExchangeBindOk;
import warren.core.amqp.method.ExchangeDeclare;
import warren.core.amqp.method.ExchangeDeclareOk;
import warren.core.amqp.method.ExchangeDelete;
import warren.core.amqp.method.ExchangeDeleteOk;
import warren.core.amqp.method.ExchangeUnbind;
import warren.core.amqp.method.ExchangeUnbindOk;
import warren.core.amqp.method.QueueBind;
import warren.core.amqp.method.QueueBindOk;
import warren.core.amqp.method.QueueDeclare;
import warren.core.amqp.method.QueueDeclareOk;
import warren.core.amqp.method.QueueDelete;
import warren.core.amqp.method.QueueDeleteOk;
import warren.core.amqp.method.QueuePurge;
import warren.core.amqp.method.QueuePurgeOk;
import warren.core.amqp.method.QueueUnbind;
import warren.core.amqp.method.QueueUnbindOk;
import warren.core.amqp.method.TxCommit;
import warren.core.amqp.method.TxCommitOk;
import warren.core.amqp.method.TxRollback;
import warren.core.amqp.method.TxRollbackOk;
import warren.core.amqp.method.TxSelect;
import warren.core.amqp.method.TxSelectOk;
import warren.core.broker.Broker;
import warren.core.broker.VirtualHost;
import warren.core.message.Message;
import warren.core.queue.MessageQueue;
import warren.core.queue.PublishCredit;
import warren.core.store.MessageStore;
import warren.core.queue.QueueEntry;
import warren.core.metadata.MetadataCommand;
import warren.core.routing.Exchange;
import warren.core.routing.ExchangeType;
import warren.core.security.AccessKind;

/**
 * One AMQP channel. Runs on its connection's thread. Commands are handled strictly in order: a
 * command whose answer comes from a queue's thread parks the channel until it completes, so
 * replies never overtake each other.
 */
final class ChannelSession {
    static final String REPLY_TO = "amq.rabbitmq.reply-to";

    private final ConnectionSession connection;
    private final int id;
    private final Broker broker;
    private final VirtualHost vhost;
    private final String user;

    private final ArrayDeque<Command> waiting = new ArrayDeque<>();
    private boolean busy;
    private boolean closing;

    private final Map<String, ChannelConsumer> consumers = new LinkedHashMap<>();
    private LinkedHashMap<Long, Unacked> unacked = new LinkedHashMap<>();
    private long nextDeliveryTag = 1;
    private int prefetchPerConsumer;
    private volatile int prefetchChannel;
    private final AtomicInteger inFlightChannel = new AtomicInteger();
    private String lastQueue;
    private boolean flowStopped;

    private boolean confirmMode;
    private long nextPublishSeq = 1;
    private final Map<Long, int[]> pendingConfirms = new LinkedHashMap<>(); // seq -> {remaining, rejected}
    private boolean txMode;
    private final List<Runnable> txActions = new ArrayList<>();
    private final List<Unacked> txSettled = new ArrayList<>();

    private String replyToken;
    private String replyConsumerTag;

    private record Unacked(long tag, MessageQueue queue, QueueEntry entry, ChannelConsumer consumer) {
    }

    ChannelSession(ConnectionSession connection, int id) {
        this.connection = connection;
        this.id = id;
        this.broker = connection.broker();
        this.vhost = connection.vhostObject();
        this.user = connection.userObject().name();
    }

    int id() {
        return id;
    }

    ConnectionSession connection() {
        return connection;
    }

    boolean isClosing() {
        return closing;
    }

    void markClosing() {
        closing = true;
    }

    boolean isFlowStopped() {
        return flowStopped;
    }

    // ------------------------------------------------------------------ ordering

    void handle(Command c) {
        if (busy) {
            waiting.add(c);
            return;
        }
        CompletableFuture<?> pending = process(c);
        if (pending != null) {
            park(pending, c.method());
        }
    }

    private void park(CompletableFuture<?> pending, Method m) {
        busy = true;
        pending.whenComplete((r, err) -> connection.execute(() -> {
            busy = false;
            if (err != null) {
                fail(unwrap(err), m);
                return;
            }
            connection.requestFlush();
            drain();
        }));
    }

    private void drain() {
        while (!busy && !closing && !waiting.isEmpty()) {
            Command c = waiting.poll();
            try {
                CompletableFuture<?> pending = process(c);
                if (pending != null) {
                    park(pending, c.method());
                }
            } catch (RuntimeException e) {
                fail(e, c.method());
            }
        }
    }

    private void fail(Throwable e, Method m) {
        waiting.clear();
        if (e instanceof ChannelException ce) {
            connection.closeChannel(this, ce.withMethod(m.classId(), m.methodId()));
        } else if (e instanceof ConnectionException ce) {
            connection.closeConnection(ce);
        } else {
            connection.closeConnection(new ConnectionException(ReplyCode.INTERNAL_ERROR, "internal error: " + e,
                    m.classId(), m.methodId()));
        }
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** Runs {@code reply} on the connection's thread once {@code f} completes; the channel waits for it. */
    private <T> CompletableFuture<Void> then(CompletableFuture<T> f, Consumer<T> reply) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        f.whenComplete((r, err) -> connection.execute(() -> {
            if (err != null) {
                done.completeExceptionally(unwrap(err));
                return;
            }
            try {
                if (!closing) {
                    reply.accept(r);
                }
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }));
        return done;
    }

    private void send(Method m) {
        connection.send(id, m);
    }

    // ------------------------------------------------------------------ dispatch

    private CompletableFuture<?> process(Command c) {
        Method m = c.method();
        CompletableFuture<Void> before = broker.lastDefinitionWrite();
        switch ((m.classId() << 16) | m.methodId()) {
            case (60 << 16) | 40: return publish((BasicPublish) m, c);
            case (60 << 16) | 80: ack((BasicAck) m); return null;
            case (60 << 16) | 120: nack((BasicNack) m); return null;
            case (60 << 16) | 90: reject((BasicReject) m); return null;
            case (60 << 16) | 10: qos((BasicQos) m); return null;
            case (60 << 16) | 20: return consume((BasicConsume) m);
            case (60 << 16) | 30: return cancel((BasicCancel) m);
            case (60 << 16) | 70: return get((BasicGet) m);
            case (60 << 16) | 100: recover(((BasicRecoverAsync) m).requeue(), m); return null;
            case (60 << 16) | 110: recover(((BasicRecover) m).requeue(), m); send(new BasicRecoverOk()); return null;
            case (50 << 16) | 10: return declareQueue((QueueDeclare) m, before);
            case (50 << 16) | 20: return bindQueue((QueueBind) m, before);
            case (50 << 16) | 50: return unbindQueue((QueueUnbind) m, before);
            case (50 << 16) | 30: return purge((QueuePurge) m);
            case (50 << 16) | 40: return deleteQueue((QueueDelete) m);
            case (40 << 16) | 10: return declareExchange((ExchangeDeclare) m, before);
            case (40 << 16) | 20: return deleteExchange((ExchangeDelete) m, before);
            case (40 << 16) | 30: return bindExchange((ExchangeBind) m, before);
            case (40 << 16) | 40: return unbindExchange((ExchangeUnbind) m, before);
            case (85 << 16) | 10: confirmSelect((ConfirmSelect) m); return null;
            case (90 << 16) | 10: txSelect(); return null;
            case (90 << 16) | 20: txCommit(); return null;
            case (90 << 16) | 30: txRollback(); return null;
            case (20 << 16) | 20: flow((ChannelFlow) m); return null;
            case (30 << 16) | 10: send(new AccessRequestOk()); return null;
            default:
                throw new ConnectionException(ReplyCode.COMMAND_INVALID, "unexpected method " + m.name()
                        + " on channel " + id, m.classId(), m.methodId());
        }
    }

    /**
     * Sends a definition command's reply once what it stored is synced: durable definitions are on
     * disk before the client hears they exist. Nothing stored (transient): reply at once.
     */
    private CompletableFuture<?> afterDefinitions(CompletableFuture<Void> before, Method reply) {
        CompletableFuture<Void> written = broker.lastDefinitionWrite();
        if (written == before || written.isDone() && !written.isCompletedExceptionally()) {
            if (reply != null) {
                send(reply);
            }
            return null;
        }
        return then(written, v -> {
            if (reply != null) {
                send(reply);
            }
        });
    }

    // ------------------------------------------------------------------ exchanges

    /**
     * Submits a definition change to the metadata replicator and replies once it is agreed,
     * applied here and (if durable) on disk. A standalone node applies it at once, so nothing waits.
     */
    private CompletableFuture<?> define(CompletableFuture<Void> before, MetadataCommand command, Method reply) {
        CompletableFuture<Object> applied = broker.submit(command);
        if (applied.isDone()) {
            doneValue(applied);
            return afterDefinitions(before, reply);
        }
        return then(applied.thenCompose(r -> broker.lastDefinitionWrite()), v -> {
            if (reply != null) {
                send(reply);
            }
        });
    }

    /** The value of a completed future; its failure rethrown as the AMQP error it carries. */
    private static Object doneValue(CompletableFuture<Object> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private CompletableFuture<?> declareExchange(ExchangeDeclare m, CompletableFuture<Void> before) {
        String name = m.exchange();
        Method reply = m.noWait() ? null : new ExchangeDeclareOk();
        if (m.passive()) {
            vhost.declareExchange(name, m.type(), true, m.durable(), m.autoDelete(), m.internal(), m.arguments());
            return afterDefinitions(before, reply);
        }
        if (name.isEmpty()) {
            throw new ChannelException(ReplyCode.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
        broker.checkAccess(vhost.name(), user, AccessKind.CONFIGURE, "exchange", name);
        Exchange existing = vhost.exchange(name);
        ExchangeType type = ExchangeType.byName(m.type()).orElse(null);
        if (existing != null && type != null
                && existing.equivalent(type, m.durable(), m.autoDelete(), m.internal(), m.arguments())) {
            return afterDefinitions(before, reply); // redeclare of what exists: answered here, nothing to agree
        }
        return define(before, new MetadataCommand.DeclareExchange(vhost.name(), name, m.type(), m.durable(),
                m.autoDelete(), m.internal(), m.arguments()), reply);
    }

    private CompletableFuture<?> deleteExchange(ExchangeDelete m, CompletableFuture<Void> before) {
        broker.checkAccess(vhost.name(), user, AccessKind.CONFIGURE, "exchange", m.exchange());
        return define(before, new MetadataCommand.DeleteExchange(vhost.name(), m.exchange(), m.ifUnused()),
                m.noWait() ? null : new ExchangeDeleteOk());
    }

    private CompletableFuture<?> bindExchange(ExchangeBind m, CompletableFuture<Void> before) {
        broker.checkAccess(vhost.name(), user, AccessKind.WRITE, "exchange", m.destination());
        broker.checkAccess(vhost.name(), user, AccessKind.READ, "exchange", m.source());
        return define(before, new MetadataCommand.Bind(vhost.name(), m.source(), m.destination(), true,
                m.routingKey(), m.arguments()), m.noWait() ? null : new ExchangeBindOk());
    }

    private CompletableFuture<?> unbindExchange(ExchangeUnbind m, CompletableFuture<Void> before) {
        broker.checkAccess(vhost.name(), user, AccessKind.WRITE, "exchange", m.destination());
        broker.checkAccess(vhost.name(), user, AccessKind.READ, "exchange", m.source());
        return define(before, new MetadataCommand.Unbind(vhost.name(), m.source(), m.destination(), true,
                m.routingKey(), m.arguments()), m.noWait() ? null : new ExchangeUnbindOk());
    }

    // ------------------------------------------------------------------ queues

    /** "" means the last queue declared on this channel (AMQP 0-9-1 1.7.2.x). */
    private String queueName(String given) {
        if (!given.isEmpty()) {
            return given;
        }
        if (lastQueue == null) {
            throw new ChannelException(ReplyCode.NOT_FOUND, "no previously declared queue");
        }
        return lastQueue;
    }

    private CompletableFuture<?> declareQueue(QueueDeclare m, CompletableFuture<Void> before) {
        String name = m.queue();
        if (name.isEmpty() && !m.passive()) {
            name = VirtualHost.generateQueueName();
        } else if (name.isEmpty()) {
            name = queueName(name);
        }
        if (!m.passive()) {
            broker.checkAccess(vhost.name(), user, AccessKind.CONFIGURE, "queue", name);
        }
        if (name.equals(REPLY_TO) || name.startsWith(REPLY_TO + ".")) {
            // Direct reply-to is a pseudo-queue: it always "exists" and is empty.
            if (!m.noWait()) {
                send(new QueueDeclareOk(name, 0, 0));
            }
            return null;
        }
        lastQueue = name;
        String declared = name;
        MessageQueue going = vhost.queue(name);
        if (going != null && going.isGoingAway()) {
            // auto-deleted, expired, deleted or its exclusive owner closed, but still listed: as RabbitMQ, a
            // passive declare finds no queue, and a declare waits for it to go and makes a new one
            if (m.passive()) {
                throw new ChannelException(ReplyCode.NOT_FOUND, "no queue '" + name + "' in vhost '" + vhost.name() + "'");
            }
            return declareAgainWhenRemoved(going, m);
        }
        MessageQueue q;
        if (m.passive() || m.exclusive() || vhost.queue(name) != null) {
            // Passive, exclusive (this connection's alone) or a redeclare: answered on this node.
            boolean fresh = m.exclusive() && !m.passive() && vhost.queue(name) == null;
            q = vhost.declareQueue(name, m.passive(), m.durable(), m.exclusive(), m.autoDelete(), m.arguments(),
                    connection);
            if (fresh && q.incarnation() == null) {
                // Every node learns of it (a view owned elsewhere) before the client hears declare-ok, so
                // a reply published through any node routes to it and other nodes' connections get 405.
                q.setIncarnation(UUID.randomUUID().toString());
                CompletableFuture<Object> known = broker.submit(new MetadataCommand.DeclareExclusiveQueue(vhost.name(),
                        name, m.durable(), m.autoDelete(), m.arguments(), broker.settings().nodeName(),
                        q.incarnation()));
                if (!known.isDone()) {
                    MessageQueue declaredQueue = q;
                    return then(known.thenCompose(r -> declaredQueue.touchAndCount()), c -> {
                        if (!m.noWait()) {
                            send(new QueueDeclareOk(declared, c.ready(), c.consumers()));
                        }
                    });
                }
            }
        } else {
            String home = broker.placeQueue(
                    warren.core.queue.QueueArguments.parse(m.arguments(), name, vhost.name()).leaderLocator());
            CompletableFuture<Object> applied = broker.submit(new MetadataCommand.DeclareQueue(vhost.name(), name,
                    m.durable(), m.autoDelete(), m.arguments(), home));
            if (!applied.isDone()) {
                return then(applied.thenCompose(r -> ((MessageQueue) r).touchAndCount()
                        .thenCombine(broker.lastDefinitionWrite(), (c, v) -> c)), c -> {
                            if (!m.noWait()) {
                                send(new QueueDeclareOk(declared, c.ready(), c.consumers()));
                            }
                        });
            }
            q = (MessageQueue) doneValue(applied);
        }
        if (m.noWait()) {
            return afterDefinitions(before, null);
        }
        CompletableFuture<Void> written = broker.lastDefinitionWrite();
        MessageQueue found = q;
        CompletableFuture<MessageQueue.Counts> counted = q.touchAndCount();
        if (!m.passive()) {
            // the queue went between the lookup and its count: declare it anew once its name is free
            counted = counted.exceptionallyCompose(err -> VirtualHost.isNotFound(err)
                    && (found.isGoingAway() || !found.isLocal()) ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(err));
        }
        CompletableFuture<MessageQueue.Counts> counts = written == before ? counted
                : counted.thenCombine(written, (c, v) -> c);
        CompletableFuture<Void> done = new CompletableFuture<>();
        counts.whenComplete((c, err) -> connection.execute(() -> {
            if (err != null) {
                done.completeExceptionally(unwrap(err));
            } else if (closing) {
                done.complete(null);
            } else if (c == null) {
                follow(declareAgainWhenRemoved(found, m), done);
            } else {
                send(new QueueDeclareOk(declared, c.ready(), c.consumers()));
                done.complete(null);
            }
        }));
        return done;
    }

    /**
     * Runs {@code m} again once {@code gone} has left the vhost (bounded): the declare then makes a new
     * queue, so a declare-ok always names a queue that exists.
     */
    private CompletableFuture<?> declareAgainWhenRemoved(MessageQueue gone, QueueDeclare m) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        VirtualHost.afterRemoval(gone).whenComplete((v, err) -> connection.execute(() -> {
            if (closing) {
                done.complete(null);
                return;
            }
            try {
                if (vhost.queue(gone.name()) == gone) { // its removal never came (its home node is gone?)
                    throw new ChannelException(ReplyCode.NOT_FOUND, "no queue '" + gone.name() + "' in vhost '"
                            + vhost.name() + "'");
                }
                follow(declareQueue(m, broker.lastDefinitionWrite()), done);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }));
        return done;
    }

    /** Completes {@code done} as {@code f} completes (null: at once). */
    private static void follow(CompletableFuture<?> f, CompletableFuture<Void> done) {
        if (f == null) {
            done.complete(null);
            return;
        }
        f.whenComplete((v, err) -> {
            if (err != null) {
                done.completeExceptionally(unwrap(err));
            } else {
                done.complete(null);
            }
        });
    }

    private CompletableFuture<?> bindQueue(QueueBind m, CompletableFuture<Void> before) {
        String q = queueName(m.queue());
        broker.checkAccess(vhost.name(), user, AccessKind.WRITE, "queue", q);
        broker.checkAccess(vhost.name(), user, AccessKind.READ, "exchange", m.exchange());
        vhost.requireQueue(q, connection);
        return define(before, new MetadataCommand.Bind(vhost.name(), m.exchange(), q, false, m.routingKey(),
                m.arguments()), m.noWait() ? null : new QueueBindOk());
    }

    private CompletableFuture<?> unbindQueue(QueueUnbind m, CompletableFuture<Void> before) {
        String q = queueName(m.queue());
        broker.checkAccess(vhost.name(), user, AccessKind.WRITE, "queue", q);
        broker.checkAccess(vhost.name(), user, AccessKind.READ, "exchange", m.exchange());
        vhost.requireQueue(q, connection);
        return define(before, new MetadataCommand.Unbind(vhost.name(), m.exchange(), q, false, m.routingKey(),
                m.arguments()), new QueueUnbindOk());
    }

    private CompletableFuture<?> purge(QueuePurge m) {
        String name = queueName(m.queue());
        broker.checkAccess(vhost.name(), user, AccessKind.READ, "queue", name);
        MessageQueue q = vhost.requireReachableQueue(name, connection);
        return then(q.purge(), n -> {
            if (!m.noWait()) {
                send(new QueuePurgeOk(n));
            }
        });
    }

    private CompletableFuture<?> deleteQueue(QueueDelete m) {
        String name = queueName(m.queue());
        broker.checkAccess(vhost.name(), user, AccessKind.CONFIGURE, "queue", name);
        return then(vhost.deleteQueue(name, m.ifUnused(), m.ifEmpty(), connection), n -> {
            if (!m.noWait()) {
                send(new QueueDeleteOk(n));
            }
        });
    }

    // ------------------------------------------------------------------ publish

    private CompletableFuture<?> publish(BasicPublish m, Command c) {
        connection.published();
        if (m.immediate()) {
            throw new ConnectionException(ReplyCode.NOT_IMPLEMENTED, "immediate=true", m.classId(), m.methodId());
        }
        Exchange exchange = vhost.requireExchange(m.exchange());
        broker.checkAccess(vhost.name(), user, AccessKind.WRITE, "exchange", m.exchange());
        if (exchange.internal()) {
            throw new ChannelException(ReplyCode.ACCESS_REFUSED, "cannot publish to internal exchange '"
                    + m.exchange() + "' in vhost '" + vhost.name() + "'");
        }
        BasicProperties props = c.header().properties();
        byte[] rawProps = c.header().rawProperties();
        if (props.userId() != null && !props.userId().equals(user)) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "user_id property set to '" + props.userId()
                    + "' but authenticated user was '" + user + "'");
        }
        if (props.expiration() != null) {
            validateExpiration(props.expiration());
        }
        if (REPLY_TO.equals(props.replyTo())) {
            if (replyToken == null) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "fast reply consumer does not exist");
            }
            props = withReplyTo(props, REPLY_TO + "." + replyToken);
            rawProps = warren.core.amqp.ContentHeader.encodeProperties(props);
        }
        Message message = new Message(m.exchange(), m.routingKey(), props, rawProps, c.body(),
                System.currentTimeMillis());
        long seq = confirmMode ? nextPublishSeq++ : 0;
        if (txMode) {
            Message msg = message;
            txActions.add(() -> route(m, msg, seq));
            return null;
        }
        route(m, message, seq);
        return null;
    }

    private void route(BasicPublish m, Message message, long seq) {
        if (m.exchange().isEmpty() && m.routingKey().startsWith(REPLY_TO + ".")) {
            routeDirectReply(m, message, seq);
            return;
        }
        Exchange exchange = vhost.exchange(m.exchange());
        Set<MessageQueue> targets = exchange == null ? Set.of()
                : vhost.route(exchange, m.routingKey(), message.properties().headers());
        List<String> cc = VirtualHost.ccKeys(message.properties().headers());
        if (!cc.isEmpty() && exchange != null) {
            targets = new java.util.HashSet<>(targets);
            for (String key : cc) {
                targets.addAll(vhost.route(exchange, key, message.properties().headers()));
            }
            Map<String, Object> headers = new LinkedHashMap<>(message.properties().headers());
            headers.remove("BCC");
            message = message.withProperties(message.exchange(), message.routingKey(),
                    message.properties().withHeaders(headers));
        }
        targets = reachable(targets);
        if (targets.isEmpty()) {
            if (m.mandatory()) {
                connection.sendContent(id, new BasicReturn(ReplyCode.NO_ROUTE.code(), "NO_ROUTE", m.exchange(),
                        m.routingKey()), message.rawProperties(), message.body());
            }
            if (seq > 0) {
                confirm(seq, true);
            }
            return;
        }
        MessageStore store = broker.store();
        if (store.isDurable()) {
            if (message.isPersistent()) {
                storeBody(message, targets);
            }
            if (store.isBehind()) {
                connection.throttle(store::whenCaughtUp); // the store's writer is behind: stop reading
            }
        }
        PublishCredit credit = connection.credit();
        if (seq == 0) {
            for (MessageQueue q : targets) {
                if (q.publish(message, null, credit)) {
                    connection.throttle(q::whenCaughtUp);
                }
            }
        } else {
            int[] state = {targets.size(), 0};
            pendingConfirms.put(seq, state);
            for (MessageQueue q : targets) {
                if (q.publish(message, ok -> connection.execute(() -> onQueueConfirm(seq, ok)), credit)) {
                    connection.throttle(q::whenCaughtUp);
                }
            }
        }
        if (credit.exhausted()) {
            connection.throttle(credit::whenCaughtUp); // this connection has too much in queues' mailboxes
        }
    }

    /** Queues whose home node is down are left out: a message routed only to them is unroutable (mandatory returns it). */
    private static Set<MessageQueue> reachable(Set<MessageQueue> targets) {
        for (MessageQueue q : targets) {
            if (!q.isAvailable()) {
                Set<MessageQueue> out = new java.util.HashSet<>(targets);
                out.removeIf(t -> !t.isAvailable());
                return out;
            }
        }
        return targets;
    }

    /**
     * A persistent message bound for durable queues: its body is stored once, here, whatever the
     * number of queues; each durable queue then writes only its index record. Queues on other
     * nodes store their own copy there.
     */
    private void storeBody(Message message, Set<MessageQueue> targets) {
        int durableTargets = 0;
        for (MessageQueue q : targets) {
            if (q.durable() && q.isLocal()) {
                durableTargets++;
            }
        }
        if (durableTargets == 0) {
            return;
        }
        long id = broker.store().nextMessageId();
        broker.store().writeBody(id, new warren.core.store.StoredMessage(message.exchange(), message.routingKey(),
                message.rawProperties(), message.body(), message.publishedAtMillis()));
        if (durableTargets > 1) {
            broker.store().sharedRefs().set(id, durableTargets);
        }
        message.stored(id, durableTargets > 1);
    }

    private void routeDirectReply(BasicPublish m, Message message, long seq) {
        Consumer<Message> target = broker.replyTargets().get(m.routingKey().substring(REPLY_TO.length() + 1));
        if (target != null) {
            target.accept(message);
        } else if (m.mandatory()) {
            connection.sendContent(id, new BasicReturn(ReplyCode.NO_ROUTE.code(), "NO_ROUTE", m.exchange(),
                    m.routingKey()), message.rawProperties(), message.body());
        }
        if (seq > 0) {
            confirm(seq, true);
        }
    }

    private void onQueueConfirm(long seq, boolean ok) {
        int[] state = pendingConfirms.get(seq);
        if (state == null) {
            return;
        }
        if (!ok) {
            state[1]++;
        }
        if (--state[0] == 0) {
            pendingConfirms.remove(seq);
            confirm(seq, state[1] == 0);
        }
    }

    private void confirm(long seq, boolean ack) {
        if (closing) {
            return;
        }
        send(ack ? new BasicAck(seq, false) : new warren.core.amqp.method.BasicNack(seq, false, false));
        connection.requestFlush();
    }

    private static void validateExpiration(String expiration) {
        try {
            if (Long.parseLong(expiration) < 0) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "invalid expiration '" + expiration
                        + "': {value_negative," + expiration + "}");
            }
        } catch (NumberFormatException e) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "invalid expiration '" + expiration
                    + "': no_integer");
        }
    }

    private static BasicProperties withReplyTo(BasicProperties p, String replyTo) {
        return new BasicProperties(p.contentType(), p.contentEncoding(), p.headers(), p.deliveryMode(), p.priority(),
                p.correlationId(), replyTo, p.expiration(), p.messageId(), p.timestamp(), p.type(), p.userId(),
                p.appId(), p.clusterId());
    }

    // ------------------------------------------------------------------ consume

    private void qos(BasicQos m) {
        if (m.prefetchSize() != 0) {
            throw new ConnectionException(ReplyCode.NOT_IMPLEMENTED, "prefetch_size!=0 (" + m.prefetchSize() + ")",
                    m.classId(), m.methodId());
        }
        if (m.global()) {
            prefetchChannel = m.prefetchCount();
            wakeConsumers();
        } else {
            prefetchPerConsumer = m.prefetchCount();
        }
        send(new BasicQosOk());
    }

    private CompletableFuture<?> consume(BasicConsume m) {
        String tag = m.consumerTag().isEmpty() ? "amq.ctag-" + UUID.randomUUID().toString().replace("-", "")
                .substring(0, 22) : m.consumerTag();
        if (consumers.containsKey(tag) || tag.equals(replyConsumerTag)) {
            throw new ConnectionException(ReplyCode.NOT_ALLOWED, "attempt to reuse consumer tag '" + tag + "'",
                    m.classId(), m.methodId());
        }
        if (m.queue().equals(REPLY_TO)) {
            return consumeDirectReply(m, tag);
        }
        String name = queueName(m.queue());
        broker.checkAccess(vhost.name(), user, AccessKind.READ, "queue", name);
        MessageQueue q = vhost.requireReachableQueue(name, connection);
        int priority = 0;
        Object p = m.arguments() == null ? null : m.arguments().get("x-priority");
        if (p != null) {
            if (!(p instanceof Byte || p instanceof Short || p instanceof Integer || p instanceof Long)) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "invalid arg 'x-priority' for consumer");
            }
            priority = ((Number) p).intValue();
        }
        ChannelConsumer consumer = new ChannelConsumer(this, q, tag, m.noAck(), prefetchPerConsumer, priority,
                m.arguments() == null ? Map.of() : m.arguments());
        consumers.put(tag, consumer);
        // Exclusivity is checked on the queue's thread before consume-ok goes out; the first
        // delivery is dispatched only after consume-ok has been written (wakeup below).
        return then(q.addConsumer(consumer, m.exclusive()), v -> {
            if (!m.noWait()) {
                send(new BasicConsumeOk(tag));
            }
            consumer.started = true;
            connection.requestFlush();
            q.wakeup();
        }).whenComplete((v, err) -> {
            if (err != null) {
                connection.execute(() -> consumers.remove(tag));
            }
        });
    }

    private CompletableFuture<?> consumeDirectReply(BasicConsume m, String tag) {
        if (!m.noAck()) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "reply consumer cannot acknowledge");
        }
        if (replyToken != null) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "reply consumer already set");
        }
        replyToken = UUID.randomUUID().toString().replace("-", "");
        replyConsumerTag = tag;
        broker.replyTargets().put(replyToken, msg -> connection.execute(() -> sendReply(msg)));
        if (!m.noWait()) {
            send(new BasicConsumeOk(tag));
        }
        return null;
    }

    private void sendReply(Message msg) {
        if (closing || replyConsumerTag == null) {
            return;
        }
        connection.sendContent(id, new BasicDeliver(replyConsumerTag, nextDeliveryTag++, false, msg.exchange(),
                msg.routingKey()), msg.rawProperties(), msg.body());
        connection.requestFlush();
    }

    private CompletableFuture<?> cancel(BasicCancel m) {
        String tag = m.consumerTag();
        if (tag.equals(replyConsumerTag)) {
            broker.replyTargets().remove(replyToken);
            replyConsumerTag = null;
            replyToken = null;
            if (!m.noWait()) {
                send(new BasicCancelOk(tag));
            }
            return null;
        }
        ChannelConsumer c = consumers.remove(tag);
        if (c == null) {
            // RabbitMQ answers cancel-ok for an unknown tag.
            if (!m.noWait()) {
                send(new BasicCancelOk(tag));
            }
            return null;
        }
        return then(c.queue.removeConsumer(c), v -> {
            if (!m.noWait()) {
                send(new BasicCancelOk(tag));
            }
        });
    }

    void consumerCancelledByQueue(ChannelConsumer c) {
        if (consumers.remove(c.tag) == null || closing) {
            return;
        }
        if (connection.clientHas("consumer_cancel_notify")) {
            send(new BasicCancel(c.tag, true));
            connection.requestFlush();
        }
    }

    private CompletableFuture<?> get(BasicGet m) {
        String name = queueName(m.queue());
        broker.checkAccess(vhost.name(), user, AccessKind.READ, "queue", name);
        MessageQueue q = vhost.requireReachableQueue(name, connection);
        return then(q.get(!m.noAck()), r -> {
            if (r.entry() == null) {
                send(new BasicGetEmpty());
                return;
            }
            long tag = nextDeliveryTag++;
            if (!m.noAck()) {
                unacked.put(tag, new Unacked(tag, q, r.entry(), null));
            }
            Message msg = r.entry().message();
            connection.sendContent(id, new BasicGetOk(tag, r.entry().redelivered(), msg.exchange(), msg.routingKey(),
                    r.remaining()), msg.rawProperties(), msg.body());
        });
    }

    /** A queue handed us a delivery (on this connection's thread now). */
    void sendDelivery(ChannelConsumer c, QueueEntry e) {
        if (closing || consumers.get(c.tag) != c) {
            // Consumer gone meanwhile: the message goes back to its queue.
            if (c.ackRequired()) {
                c.release();
                c.queue.requeue(List.of(e));
            }
            return;
        }
        long tag = nextDeliveryTag++;
        if (!c.noAck) {
            unacked.put(tag, new Unacked(tag, c.queue, e, c));
        }
        Message msg = e.message();
        connection.sendContent(id, new BasicDeliver(c.tag, tag, e.redelivered(), msg.exchange(), msg.routingKey()),
                msg.rawProperties(), msg.body());
        connection.requestFlush();
    }

    // ------------------------------------------------------------------ acks

    private void ack(BasicAck m) {
        settleOrDefer(take(m.deliveryTag(), m.multiple()), Settle.ACK);
    }

    private void nack(BasicNack m) {
        settleOrDefer(take(m.deliveryTag(), m.multiple()), m.requeue() ? Settle.REQUEUE : Settle.REJECT);
    }

    private void reject(BasicReject m) {
        settleOrDefer(take(m.deliveryTag(), false), m.requeue() ? Settle.REQUEUE : Settle.REJECT);
    }

    /** In a transaction, settlements wait for tx.commit; tx.rollback puts them back as unacked. */
    private void settleOrDefer(List<Unacked> taken, Settle how) {
        if (txMode) {
            txSettled.addAll(taken);
            txActions.add(() -> {
                txSettled.removeAll(taken);
                settle(taken, how);
            });
        } else {
            settle(taken, how);
        }
    }

    private enum Settle { ACK, REQUEUE, REJECT }

    /** Removes the acknowledged deliveries from the unacked map; 406 for an unknown tag. */
    private List<Unacked> take(long tag, boolean multiple) {
        List<Unacked> out = new ArrayList<>();
        if (multiple) {
            if (tag != 0 && !unacked.containsKey(tag)) {
                throw unknownTag(tag);
            }
            var it = unacked.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (tag != 0 && e.getKey() > tag) {
                    break;
                }
                out.add(e.getValue());
                it.remove();
            }
            return out;
        }
        Unacked u = unacked.remove(tag);
        if (u == null) {
            throw unknownTag(tag);
        }
        out.add(u);
        return out;
    }

    private static ChannelException unknownTag(long tag) {
        return new ChannelException(ReplyCode.PRECONDITION_FAILED, "unknown delivery tag " + tag);
    }

    /** Deliveries settled in one turn of the connection's thread; the rest wait for a later turn. */
    private static final int SETTLE_SLICE = 2_048;

    private void settle(Collection<Unacked> settled, Settle how) {
        if (!settled.isEmpty()) {
            settleSlice(settled.iterator(), how);
        }
    }

    /**
     * Hands up to {@link #SETTLE_SLICE} settled deliveries to their queues (each queue takes its part
     * in slices too); the rest go on a later turn, after the connection thread's pending I/O, so that
     * settling 200k deliveries (channel close, basic.recover, multiple ack/nack) never holds the event
     * loop that other connections share.
     */
    private void settleSlice(Iterator<Unacked> settled, Settle how) {
        Map<MessageQueue, List<QueueEntry>> byQueue = new IdentityHashMap<>(2);
        for (int i = 0; i < SETTLE_SLICE && settled.hasNext(); i++) {
            Unacked u = settled.next();
            byQueue.computeIfAbsent(u.queue, k -> new ArrayList<>()).add(u.entry);
            if (u.consumer != null) {
                u.consumer.release();
            }
        }
        for (Map.Entry<MessageQueue, List<QueueEntry>> e : byQueue.entrySet()) {
            switch (how) {
                case ACK -> e.getKey().ack(e.getValue());
                case REQUEUE -> e.getKey().requeue(e.getValue());
                case REJECT -> e.getKey().reject(e.getValue());
            }
            e.getKey().wakeup();
        }
        if (settled.hasNext()) {
            connection.executeLater(() -> settleSlice(settled, how));
        }
    }

    /** Every unacked delivery, in delivery-tag order, leaving the channel with none (no copy: the map is handed over). */
    private Collection<Unacked> takeAllUnacked() {
        Collection<Unacked> all = unacked.values();
        unacked = new LinkedHashMap<>();
        return all;
    }

    private void recover(boolean requeue, Method m) {
        if (!requeue) {
            // RabbitMQ 3.10: connection.close 540 "NOT_IMPLEMENTED - requeue=false" (recover and recover-async)
            throw new ConnectionException(ReplyCode.NOT_IMPLEMENTED, "requeue=false", m.classId(), m.methodId());
        }
        settle(takeAllUnacked(), Settle.REQUEUE);
    }

    boolean reserveGlobal() {
        int limit = prefetchChannel;
        if (limit <= 0) {
            inFlightChannel.incrementAndGet();
            return true;
        }
        int n;
        do {
            n = inFlightChannel.get();
            if (n >= limit) {
                return false;
            }
        } while (!inFlightChannel.compareAndSet(n, n + 1));
        return true;
    }

    /** A delivery reserved by a queue's home node on another node counts against the global prefetch too. */
    void reservedGlobal() {
        inFlightChannel.incrementAndGet();
    }

    int globalPrefetch() {
        return prefetchChannel;
    }

    void releaseGlobal() {
        inFlightChannel.decrementAndGet();
    }

    void wakeConsumers() {
        for (ChannelConsumer c : consumers.values()) {
            c.queue.wakeup();
        }
    }

    // ------------------------------------------------------------------ confirm / tx / flow

    private void confirmSelect(ConfirmSelect m) {
        if (txMode) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "cannot switch from tx to confirm mode");
        }
        confirmMode = true;
        if (!m.noWait()) {
            send(new ConfirmSelectOk());
        }
    }

    private void txSelect() {
        if (confirmMode) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "cannot switch from confirm to tx mode");
        }
        txMode = true;
        send(new TxSelectOk());
    }

    private void txCommit() {
        if (!txMode) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
        }
        List<Runnable> actions = new ArrayList<>(txActions);
        txActions.clear();
        for (Runnable r : actions) {
            r.run();
        }
        send(new TxCommitOk());
    }

    private void txRollback() {
        if (!txMode) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
        }
        // Acks taken from the unacked map inside the transaction go back to it: they were never settled.
        List<Unacked> restore = new ArrayList<>(unacked.values());
        restore.addAll(txSettled);
        restore.sort(java.util.Comparator.comparingLong(Unacked::tag));
        unacked.clear();
        for (Unacked u : restore) {
            unacked.put(u.tag(), u);
        }
        txSettled.clear();
        txActions.clear();
        send(new TxRollbackOk());
    }

    private void flow(ChannelFlow m) {
        if (!m.active()) {
            throw new ConnectionException(ReplyCode.NOT_IMPLEMENTED, "active=false", m.classId(), m.methodId());
        }
        flowStopped = false;
        send(new ChannelFlowOk(true));
    }

    // ------------------------------------------------------------------ teardown

    /** The channel is closing (client close, error, or connection gone): give everything back. */
    void release() {
        closing = true;
        waiting.clear();
        if (replyToken != null) {
            broker.replyTargets().remove(replyToken);
            replyToken = null;
            replyConsumerTag = null;
        }
        for (ChannelConsumer c : consumers.values()) {
            c.queue.removeConsumer(c);
        }
        consumers.clear();
        List<Unacked> inTx = new ArrayList<>(txSettled);
        txSettled.clear();
        settle(takeAllUnacked(), Settle.REQUEUE);
        settle(inTx, Settle.REQUEUE);
        txActions.clear();
        pendingConfirms.clear();
    }

    List<Map<String, Object>> consumerRows() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ChannelConsumer c : consumers.values()) {
            rows.add(c.info());
        }
        return rows;
    }
}
