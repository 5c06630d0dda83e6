package warren.core.broker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import warren.core.amqp.BasicProperties;
import warren.core.amqp.ChannelException;
import warren.core.amqp.ConnectionException;
import warren.core.amqp.LongString;
import warren.core.amqp.ReplyCode;
import warren.core.message.Message;
import warren.core.queue.MessageQueue;
import warren.core.queue.QueueArguments;
import warren.core.queue.QueueHost;
import warren.core.routing.Binding;
import warren.core.routing.Exchange;
import warren.core.routing.ExchangeType;
import warren.core.store.DefinitionCodec;
import warren.core.store.DefinitionRecord;

/**
 * One virtual host: its exchanges, queues and bindings. Definition changes are serialised on this
 * object's monitor (short, in-memory critical sections); routing reads concurrent maps and never
 * takes the monitor.
 */
public final class VirtualHost implements QueueHost {
    private static final Logger LOG = LoggerFactory.getLogger(VirtualHost.class);
    private static final AtomicLong GENERATED_NAMES = new AtomicLong();

    private final String name;
    private final Broker broker;
    private final ConcurrentHashMap<String, Exchange> exchanges = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, MessageQueue> queues = new ConcurrentHashMap<>();
    /** Bindings by destination ("q:name" / "e:name"), to drop them when the destination goes. */
    private final ConcurrentHashMap<String, Set<Binding>> bindingsByDestination = new ConcurrentHashMap<>();
    /** Bindings whose source and destination are both durable: they have a stored record. */
    private final Set<Binding> durableBindings = ConcurrentHashMap.newKeySet();

    VirtualHost(String name, Broker broker) {
        this.name = name;
        this.broker = broker;
        declarePredefined("", ExchangeType.DIRECT);
        declarePredefined("amq.direct", ExchangeType.DIRECT);
        declarePredefined("amq.fanout", ExchangeType.FANOUT);
        declarePredefined("amq.topic", ExchangeType.TOPIC);
        declarePredefined("amq.headers", ExchangeType.HEADERS);
        declarePredefined("amq.match", ExchangeType.HEADERS);
        declarePredefined("amq.rabbitmq.trace", ExchangeType.TOPIC);
    }

    private void declarePredefined(String exchange, ExchangeType type) {
        boolean internal = exchange.equals("amq.rabbitmq.trace");
        exchanges.put(exchange, new Exchange(name, exchange, type, true, false, internal, Map.of()));
    }

    public String name() {
        return name;
    }

    // ------------------------------------------------------------------ exchanges

    public Exchange exchange(String exchangeName) {
        return exchanges.get(exchangeName);
    }

    public Exchange requireExchange(String exchangeName) {
        Exchange e = exchanges.get(exchangeName);
        if (e == null) {
            throw new ChannelException(ReplyCode.NOT_FOUND, "no exchange '" + exchangeName + "' in vhost '" + name + "'");
        }
        return e;
    }

    public synchronized Exchange declareExchange(String exchangeName, String typeName, boolean passive, boolean durable,
                                                 boolean autoDelete, boolean internal, Map<String, Object> args) {
        Exchange existing = exchanges.get(exchangeName);
        if (passive) {
            if (existing == null) {
                throw new ChannelException(ReplyCode.NOT_FOUND, "no exchange '" + exchangeName + "' in vhost '" + name + "'");
            }
            return existing;
        }
        ExchangeType type = ExchangeType.byName(typeName).orElseThrow(() -> new ConnectionException(
                ReplyCode.COMMAND_INVALID, "unknown exchange type '" + typeName + "'"));
        if (existing != null) {
            if (!existing.equivalent(type, durable, autoDelete, internal, args)) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, inequivalence(existing, type, durable,
                        autoDelete, internal));
            }
            return existing;
        }
        if (exchangeName.startsWith("amq.")) {
            throw new ChannelException(ReplyCode.ACCESS_REFUSED, "exchange name '" + exchangeName
                    + "' contains reserved prefix 'amq.*'");
        }
        Exchange created = new Exchange(name, exchangeName, type, durable, autoDelete, internal, args);
        exchanges.put(exchangeName, created);
        if (durable) {
            broker.persist(DefinitionCodec.exchange(new DefinitionCodec.ExchangeDef(name, exchangeName,
                    type.wireName(), durable, autoDelete, internal, created.arguments())));
        }
        return created;
    }

    private String inequivalence(Exchange e, ExchangeType type, boolean durable, boolean autoDelete, boolean internal) {
        String prefix = "inequivalent arg '%s' for exchange '" + e.name() + "' in vhost '" + name
                + "': received '%s' but current is '%s'";
        if (e.type() != type) {
            return String.format(prefix, "type", type.wireName(), e.type().wireName());
        }
        if (e.durable() != durable) {
            return String.format(prefix, "durable", durable, e.durable());
        }
        if (e.autoDelete() != autoDelete) {
            return String.format(prefix, "auto_delete", autoDelete, e.autoDelete());
        }
        if (e.internal() != internal) {
            return String.format(prefix, "internal", internal, e.internal());
        }
        return String.format(prefix, "arguments", "different arguments", "the declared ones");
    }

    public synchronized void deleteExchange(String exchangeName, boolean ifUnused) {
        if (exchangeName.isEmpty() || exchangeName.startsWith("amq.")) {
            throw new ChannelException(ReplyCode.ACCESS_REFUSED, "operation not permitted on the "
                    + (exchangeName.isEmpty() ? "default exchange" : "exchange '" + exchangeName + "'"));
        }
        Exchange e = exchanges.get(exchangeName);
        if (e == null) {
            return; // RabbitMQ answers delete-ok for a missing exchange
        }
        if (ifUnused && e.hasBindings()) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "exchange '" + exchangeName + "' in vhost '"
                    + name + "' in use");
        }
        removeExchange(e);
    }

    private void removeExchange(Exchange e) {
        exchanges.remove(e.name());
        if (e.durable()) {
            broker.unpersist(DefinitionRecord.Kind.EXCHANGE, DefinitionCodec.key(name, e.name()));
        }
        for (Binding b : e.bindings()) {
            removeBinding(b);
        }
        Set<Binding> incoming = bindingsByDestination.remove("e:" + e.name());
        if (incoming != null) {
            for (Binding b : incoming) {
                forgetBinding(b);
                Exchange source = exchanges.get(b.source());
                if (source != null) {
                    source.unbind(b);
                    maybeAutoDeleteExchange(source);
                }
            }
        }
    }

    // ------------------------------------------------------------------ queues

    public MessageQueue queue(String queueName) {
        return queues.get(queueName);
    }

    /** Looks a queue up for use by {@code owner}'s connection: 404 if missing, 405 if exclusive to another. */
    public MessageQueue requireQueue(String queueName, Object owner) {
        MessageQueue q = queues.get(queueName);
        if (q == null) {
            throw new ChannelException(ReplyCode.NOT_FOUND, "no queue '" + queueName + "' in vhost '" + name + "'");
        }
        checkExclusive(q, owner);
        return q;
    }

    /**
     * A queue whose messages are to be used (consume, get, purge): 404 if missing, 405 if exclusive
     * to another connection, and 404 naming the home node when the queue lives on a node that is
     * down (RabbitMQ's words for a durable queue whose node is gone).
     */
    public MessageQueue requireReachableQueue(String queueName, Object owner) {
        MessageQueue q = requireQueue(queueName, owner);
        if (!q.isAvailable()) {
            throw homeNodeDown(q);
        }
        return q;
    }

    public static ChannelException homeNodeDown(MessageQueue q) {
        return new ChannelException(ReplyCode.NOT_FOUND, "home node '" + q.remoteHome() + "' of "
                + (q.durable() ? "durable " : "") + "queue '" + q.name() + "' in vhost '" + q.vhost()
                + "' is down or inaccessible");
    }

    private void checkExclusive(MessageQueue q, Object owner) {
        if (q.exclusive() && q.exclusiveOwner() != owner) {
            throw new ChannelException(ReplyCode.RESOURCE_LOCKED, "cannot obtain exclusive access to locked queue '"
                    + q.name() + "' in vhost '" + name + "'. It could be originally declared on another connection"
                    + " or the exclusive property value does not match that of the original declaration.");
        }
    }

    public static String generateQueueName() {
        return "amq.gen-" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 22)
                + Long.toHexString(GENERATED_NAMES.incrementAndGet());
    }

    /** queue.declare of a queue living on this node; returns the queue (new or existing, checked for equivalence). */
    public MessageQueue declareQueue(String queueName, boolean passive, boolean durable, boolean exclusive,
                                     boolean autoDelete, Map<String, Object> args, Object owner) {
        return declareQueue(queueName, passive, durable, exclusive, autoDelete, args, owner, null);
    }

    /** As above, for a queue whose home is {@code homeNode} (null or this node's name: here). */
    public synchronized MessageQueue declareQueue(String queueName, boolean passive, boolean durable,
                                                  boolean exclusive, boolean autoDelete, Map<String, Object> args,
                                                  Object owner, String homeNode) {
        MessageQueue existing = queues.get(queueName);
        if (passive) {
            if (existing == null) {
                throw new ChannelException(ReplyCode.NOT_FOUND, "no queue '" + queueName + "' in vhost '" + name + "'");
            }
            checkExclusive(existing, owner);
            return existing;
        }
        if (queueName.startsWith("amq.") && existing == null && !queueName.startsWith("amq.gen-")) {
            throw new ChannelException(ReplyCode.ACCESS_REFUSED, "queue name '" + queueName
                    + "' contains reserved prefix 'amq.*'");
        }
        QueueArguments parsed = QueueArguments.parse(args, queueName, name);
        if (existing != null) {
            checkExclusive(existing, owner);
            String prefix = "inequivalent arg '%s' for queue '" + queueName + "' in vhost '" + name
                    + "': received '%s' but current is '%s'";
            if (existing.durable() != durable) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, String.format(prefix, "durable", durable,
                        existing.durable()));
            }
            if (existing.exclusive() != exclusive) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, String.format(prefix, "exclusive", exclusive,
                        existing.exclusive()));
            }
            if (existing.autoDelete() != autoDelete) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, String.format(prefix, "auto_delete",
                        autoDelete, existing.autoDelete()));
            }
            existing.arguments().assertEquivalent(parsed, queueName, name);
            return existing;
        }
        broker.limits().checkQueueLimit(name, queueName, queues.size());
        MessageQueue q = new MessageQueue(name, queueName, durable, exclusive, autoDelete, exclusive ? owner : null,
                parsed, broker.nextQueueExecutor(), this, broker.store());
        if (homeNode != null && !homeNode.equals(broker.settings().nodeName())) {
            q.setRemoteHome(homeNode);
        }
        queues.put(queueName, q);
        if (durable && !exclusive) { // an exclusive queue dies with its connection: never stored
            broker.persist(DefinitionCodec.queue(new DefinitionCodec.QueueDef(name, queueName, true, autoDelete,
                    parsed.raw(), q.isLocal() ? broker.settings().nodeName() : q.remoteHome())));
        }
        // Every queue is bound to the default exchange by its name (implicit, not listed as a binding row).
        return q;
    }

    /**
     * queue.delete: checks conditions on the queue's thread, then removes its definitions. Idempotent in
     * every interleaving, as RabbitMQ: a queue that is missing, or that auto-delete, x-expires, its
     * exclusive owner's close or another delete is already taking away, is answered delete-ok (0) once
     * its name is free, so that what the client does next never meets the old queue.
     */
    public CompletableFuture<Integer> deleteQueue(String queueName, boolean ifUnused, boolean ifEmpty, Object owner) {
        MessageQueue q = queues.get(queueName);
        if (q == null) {
            return CompletableFuture.completedFuture(0); // RabbitMQ: deleting a missing queue is ok
        }
        if (q.isGoingAway()) {
            return afterRemoval(q).thenApply(v -> 0);
        }
        checkExclusive(q, owner);
        // The home node checks if-unused/if-empty on the queue's thread; then the definition goes
        // everywhere by an agreed command, and the client hears once its removal is on disk.
        return q.delete(ifUnused, ifEmpty).exceptionallyCompose(err -> {
            // a home node that no longer has the queue: it was deleted there, its removal is on its way
            return !q.isLocal() && isNotFound(err) ? CompletableFuture.completedFuture(MessageQueue.ALREADY_DELETED)
                    : CompletableFuture.failedFuture(err);
        }).thenCompose(n -> n == MessageQueue.ALREADY_DELETED ? afterRemoval(q).thenApply(v -> 0)
                : broker.submit(new warren.core.metadata.MetadataCommand.DeleteQueue(name, q.name()))
                        .thenCompose(r -> broker.lastDefinitionWrite()).thenApply(v -> n));
    }

    /** How long a declare or delete waits for a queue that is going away to be removed. */
    private static final long REMOVAL_WAIT_MS = 10_000;

    /**
     * Completes when {@code q}'s definition is gone (at once for a local queue: its deleter removes it in
     * the same turn; for a view of another node's queue, when the agreed removal arrives), or after a
     * bound, so that a lost removal (its home node died) never hangs a client.
     */
    public static CompletableFuture<Void> afterRemoval(MessageQueue q) {
        return q.whenRemoved().copy().completeOnTimeout(null, REMOVAL_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    public static boolean isNotFound(Throwable err) {
        Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                ? err.getCause() : err;
        return t instanceof ChannelException ce && ce.replyCode() == ReplyCode.NOT_FOUND;
    }

    /** Applies an agreed DeleteQueue: the queue (if this node has it) is dropped with its bindings. */
    void removeQueue(String queueName) {
        MessageQueue q = queues.get(queueName);
        if (q != null) {
            q.deleteNow();
            removeQueueDefinitions(q);
        }
    }

    private synchronized void removeQueueDefinitions(MessageQueue q) {
        try {
            removeListedQueue(q);
        } finally {
            q.markRemoved(); // the name is free: declares waiting for it go on
        }
    }

    private void removeListedQueue(MessageQueue q) {
        if (queues.remove(q.name(), q)) {
            if (q.durable()) {
                broker.unpersist(DefinitionRecord.Kind.QUEUE, DefinitionCodec.key(name, q.name()));
            }
            Set<Binding> bound = bindingsByDestination.remove("q:" + q.name());
            if (bound != null) {
                for (Binding b : bound) {
                    forgetBinding(b);
                    Exchange source = exchanges.get(b.source());
                    if (source != null) {
                        source.unbind(b);
                        maybeAutoDeleteExchange(source);
                    }
                }
            }
        }
    }

    @Override
    public void deleteUnused(MessageQueue q, String why) {
        LOG.debug("deleted {}: {}", q, why);
        if (q.exclusive()) {
            dropOwnExclusive(q);
        } else {
            broker.submit(new warren.core.metadata.MetadataCommand.DeleteQueue(name, q.name()));
        }
    }

    /** Removes the non-durable queues living on {@code node} (it left); returns how many. */
    int dropTransientQueuesOf(String node) {
        int n = 0;
        for (MessageQueue q : List.copyOf(queues.values())) {
            if ((!q.durable() || q.exclusive()) && node.equals(q.remoteHome())) {
                q.deleteNow();
                removeQueueDefinitions(q);
                n++;
            }
        }
        return n;
    }

    /** A connection closed: its exclusive queues go with it, here and on every node. */
    public void connectionClosed(Object owner) {
        for (MessageQueue q : queues.values()) {
            if (q.exclusive() && q.exclusiveOwner() == owner) {
                q.markGoingAway(); // from now on a declare of its name waits for it to go, and then makes a new one
                q.deleteNow().thenRun(() -> dropOwnExclusive(q));
            }
        }
    }

    private void dropOwnExclusive(MessageQueue q) {
        removeQueueDefinitions(q);
        if (q.incarnation() != null) {
            broker.submit(new warren.core.metadata.MetadataCommand.DropExclusiveQueue(name, q.name(), q.incarnation()));
        }
    }

    /** Owner of the other nodes' exclusive queues: no connection of this node is it. */
    private static final Object ELSEWHERE = new Object() {
        @Override
        public String toString() {
            return "a connection on another node";
        }
    };

    /**
     * Applies an agreed exclusive queue: its own node has it already; every other node gets a view
     * of it (its home is the owner's node, its owner no connection here), so bindings route to it
     * from anywhere and other connections are refused with 405 as on its node.
     */
    synchronized MessageQueue exclusiveQueueElsewhere(warren.core.metadata.MetadataCommand.DeclareExclusiveQueue d) {
        MessageQueue existing = queues.get(d.name());
        if (existing != null || d.homeNode().equals(broker.settings().nodeName())) {
            return existing; // ours (or already gone with its connection)
        }
        MessageQueue q = new MessageQueue(name, d.name(), d.durable(), true, d.autoDelete(), ELSEWHERE,
                QueueArguments.parse(d.arguments(), d.name(), name), broker.nextQueueExecutor(), this, broker.store());
        q.setRemoteHome(d.homeNode());
        q.setIncarnation(d.incarnation());
        queues.put(d.name(), q);
        return q;
    }

    /** Applies an agreed end of an exclusive queue: only that incarnation goes, not a later one of the same name. */
    void dropExclusiveQueue(String queueName, String incarnation) {
        MessageQueue q = queues.get(queueName);
        if (q != null && q.exclusive() && incarnation.equals(q.incarnation())) {
            q.deleteNow();
            removeQueueDefinitions(q);
        }
    }

    public Collection<MessageQueue> queues() {
        return queues.values();
    }

    public Collection<Exchange> exchanges() {
        return exchanges.values();
    }

    // ------------------------------------------------------------------ bindings

    public synchronized void bind(Binding b) {
        Exchange source = requireExchange(b.source());
        if (b.toExchange()) {
            requireExchange(b.destination());
        } else if (!queues.containsKey(b.destination())) {
            throw new ChannelException(ReplyCode.NOT_FOUND, "no queue '" + b.destination() + "' in vhost '" + name + "'");
        }
        if (source.name().isEmpty()) {
            throw new ChannelException(ReplyCode.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
        source.type().validateBinding(b.arguments());
        if (source.bind(b)) {
            bindingsByDestination.computeIfAbsent(destinationKey(b), k -> ConcurrentHashMap.newKeySet()).add(b);
            MessageQueue destination = b.toExchange() ? null : queues.get(b.destination());
            boolean destinationDurable = b.toExchange() ? exchanges.get(b.destination()).durable()
                    : destination.durable() && !destination.exclusive();
            if (source.durable() && destinationDurable) {
                durableBindings.add(b);
                broker.persist(bindingRecord(b));
            }
        }
    }

    private DefinitionRecord bindingRecord(Binding b) {
        return DefinitionCodec.binding(new DefinitionCodec.BindingDef(name, b.source(), b.destination(),
                b.toExchange(), b.routingKey(), b.arguments()));
    }

    /** Drops a binding's stored record, if it was durable. */
    private void forgetBinding(Binding b) {
        if (durableBindings.remove(b)) {
            broker.unpersist(DefinitionRecord.Kind.BINDING, bindingRecord(b).key());
        }
    }

    public synchronized void unbind(Binding b) {
        Exchange source = requireExchange(b.source());
        if (source.name().isEmpty()) {
            throw new ChannelException(ReplyCode.ACCESS_REFUSED, "operation not permitted on the default exchange");
        }
        if (b.toExchange()) {
            requireExchange(b.destination());
        } else if (!queues.containsKey(b.destination())) {
            throw new ChannelException(ReplyCode.NOT_FOUND, "no queue '" + b.destination() + "' in vhost '" + name + "'");
        }
        // RabbitMQ answers unbind-ok for a binding that does not exist, and then deletes nothing.
        if (removeBinding(b)) {
            maybeAutoDeleteExchange(source);
        }
    }

    /** Removes a binding; true if it existed. */
    private boolean removeBinding(Binding b) {
        forgetBinding(b);
        Exchange source = exchanges.get(b.source());
        boolean removed = source != null && source.unbind(b);
        Set<Binding> set = bindingsByDestination.get(destinationKey(b));
        if (set != null) {
            set.remove(b);
        }
        return removed;
    }

    private void maybeAutoDeleteExchange(Exchange e) {
        if (e.autoDelete() && !e.hasBindings() && exchanges.get(e.name()) == e) {
            removeExchange(e);
        }
    }

    private static String destinationKey(Binding b) {
        return (b.toExchange() ? "e:" : "q:") + b.destination();
    }

    public List<Binding> bindings() {
        List<Binding> out = new ArrayList<>();
        for (Exchange e : exchanges.values()) {
            out.addAll(e.bindings());
        }
        return out;
    }

    // ------------------------------------------------------------------ recovery (boot, single-threaded)

    void restoreExchange(DefinitionCodec.ExchangeDef d) {
        ExchangeType type = ExchangeType.byName(d.type()).orElseThrow(() -> new warren.core.store.StoreException(
                "stored exchange '" + d.name() + "' has unknown type '" + d.type() + "'"));
        exchanges.put(d.name(), new Exchange(name, d.name(), type, d.durable(), d.autoDelete(), d.internal(),
                d.arguments()));
    }

    MessageQueue restoreQueue(DefinitionCodec.QueueDef d) {
        MessageQueue q = new MessageQueue(name, d.name(), true, false, d.autoDelete(), null,
                QueueArguments.parse(d.arguments(), d.name(), name), broker.nextQueueExecutor(), this,
                broker.store());
        if (d.homeNode() != null && !d.homeNode().equals(broker.settings().nodeName())) {
            q.setRemoteHome(d.homeNode());
        }
        queues.put(d.name(), q);
        return q;
    }

    void restoreBinding(DefinitionCodec.BindingDef d) {
        Exchange source = exchanges.get(d.source());
        boolean present = d.toExchange() ? exchanges.containsKey(d.destination()) : queues.containsKey(d.destination());
        if (source == null || !present) {
            LOG.warn("stored binding {} -> {} in vhost '{}' refers to a missing {}; dropped", d.source(),
                    d.destination(), name, source == null ? "exchange" : "destination");
            return;
        }
        Binding b = new Binding(d.source(), d.destination(), d.toExchange(), d.routingKey(), d.arguments());
        if (source.bind(b)) {
            bindingsByDestination.computeIfAbsent(destinationKey(b), k -> ConcurrentHashMap.newKeySet()).add(b);
            durableBindings.add(b);
        }
    }

    // ------------------------------------------------------------------ routing

    /**
     * Routes a message from {@code exchange} to its queues: follows exchange-to-exchange bindings
     * (each exchange visited once) and alternate exchanges when nothing matched; adds the queues
     * named by CC/BCC headers, as RabbitMQ's sender-selected distribution.
     */
    public Set<MessageQueue> route(Exchange exchange, String routingKey, Map<String, Object> headers) {
        Set<MessageQueue> out = new HashSet<>(4);
        routeInto(exchange, routingKey, headers, out, null);
        return out;
    }

    private void routeInto(Exchange exchange, String routingKey, Map<String, Object> headers, Set<MessageQueue> out,
                           Set<String> visited) {
        if (exchange.name().isEmpty()) {
            MessageQueue q = queues.get(routingKey);
            if (q != null) {
                out.add(q);
            }
            return;
        }
        List<Binding> matched = new ArrayList<>(4);
        exchange.route(routingKey, headers, matched);
        for (Binding b : matched) {
            if (b.toExchange()) {
                Exchange next = exchanges.get(b.destination());
                if (next != null) {
                    Set<String> seen = visited == null ? new HashSet<>() : visited;
                    seen.add(exchange.name());
                    if (seen.add(next.name())) {
                        routeInto(next, routingKey, headers, out, seen);
                    }
                }
            } else {
                MessageQueue q = queues.get(b.destination());
                if (q != null) {
                    out.add(q);
                }
            }
        }
        // As RabbitMQ: the alternate exchange is for messages this exchange matched no binding for;
        // a matched exchange-to-exchange binding counts even when its destination routes nowhere.
        if (matched.isEmpty() && exchange.alternateExchange() != null) {
            Exchange alt = exchanges.get(exchange.alternateExchange());
            Set<String> seen = visited == null ? new HashSet<>() : visited;
            seen.add(exchange.name());
            if (alt != null && seen.add(alt.name())) {
                routeInto(alt, routingKey, headers, out, seen);
            }
        }
    }

    /** Extra routing keys from the CC and BCC headers (sender-selected distribution). */
    public static List<String> ccKeys(Map<String, Object> headers) {
        if (headers == null) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        for (String h : new String[] {"CC", "BCC"}) {
            Object v = headers.get(h);
            if (v instanceof List<?> list) {
                for (Object o : list) {
                    if (o instanceof LongString || o instanceof String) {
                        keys.add(o.toString());
                    }
                }
            }
        }
        return keys;
    }

    // ------------------------------------------------------------------ QueueHost

    @Override
    public void deadLetter(MessageQueue source, Message message, String reason) {
        String dlx = source.arguments().deadLetterExchange();
        Exchange exchange = dlx == null ? null : exchanges.get(dlx);
        if (exchange == null) {
            if (dlx != null) {
                LOG.debug("dead-letter exchange '{}' of {} does not exist; message dropped", dlx, source);
            }
            return;
        }
        String dlrk = source.arguments().raw().get("x-dead-letter-routing-key") == null ? null
                : source.arguments().raw().get("x-dead-letter-routing-key").toString();
        List<String> keys = new ArrayList<>();
        keys.add(message.routingKey());
        keys.addAll(ccKeys(message.properties().headers()));
        Map<String, Object> headers = message.properties().headers() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(message.properties().headers());
        if (isCycle(headers, source.name(), reason)) {
            LOG.debug("dead-letter cycle through {} dropped a message", source);
            return;
        }
        addDeath(headers, source.name(), reason, message, keys);
        headers.remove("CC");
        headers.remove("BCC");
        BasicProperties props = message.properties().withHeaders(headers).withExpiration(null);
        String routingKey = dlrk != null ? dlrk : message.routingKey();
        Message dead = message.withProperties(dlx, routingKey, props);
        Set<MessageQueue> targets = new HashSet<>();
        if (dlrk != null) {
            targets.addAll(route(exchange, dlrk, headers));
        } else {
            for (String k : keys) {
                targets.addAll(route(exchange, k, headers));
            }
        }
        for (MessageQueue q : targets) {
            q.publish(dead, null);
        }
    }

    /** RabbitMQ drops a message that would loop back to a queue it already died in, unless a client rejected it. */
    private static boolean isCycle(Map<String, Object> headers, String queue, String reason) {
        Object deaths = headers.get("x-death");
        if (!(deaths instanceof List<?> list) || reason.equals("rejected")) {
            return false;
        }
        boolean seen = false;
        for (Object d : list) {
            if (d instanceof Map<?, ?> death) {
                Object r = death.get("reason");
                if (r != null && r.toString().equals("rejected")) {
                    return false;
                }
                Object q = death.get("queue");
                seen |= q != null && q.toString().equals(queue);
            }
        }
        return seen;
    }

    @SuppressWarnings("unchecked")
    private void addDeath(Map<String, Object> headers, String queue, String reason, Message message, List<String> keys) {
        List<Object> deaths = headers.get("x-death") instanceof List<?> l ? new ArrayList<>((List<Object>) l)
                : new ArrayList<>();
        Map<String, Object> found = null;
        for (int i = 0; i < deaths.size(); i++) {
            if (deaths.get(i) instanceof Map<?, ?> d && String.valueOf(d.get("queue")).equals(queue)
                    && String.valueOf(d.get("reason")).equals(reason)) {
                found = new LinkedHashMap<>((Map<String, Object>) d);
                deaths.remove(i);
                break;
            }
        }
        if (found == null) {
            found = new LinkedHashMap<>();
            found.put("count", 1L);
            found.put("reason", LongString.of(reason));
            found.put("queue", LongString.of(queue));
            found.put("time", new Date(System.currentTimeMillis() / 1000 * 1000));
            found.put("exchange", LongString.of(message.exchange()));
            List<Object> rks = new ArrayList<>();
            for (String k : keys) {
                rks.add(LongString.of(k));
            }
            found.put("routing-keys", rks);
            if (message.properties().expiration() != null) {
                found.put("original-expiration", LongString.of(message.properties().expiration()));
            }
        } else {
            Object c = found.get("count");
            found.put("count", (c instanceof Number n ? n.longValue() : 0L) + 1);
            found.put("time", new Date(System.currentTimeMillis() / 1000 * 1000));
        }
        deaths.add(0, found);
        headers.put("x-death", deaths);
        headers.putIfAbsent("x-first-death-reason", LongString.of(reason));
        headers.putIfAbsent("x-first-death-queue", LongString.of(queue));
        headers.putIfAbsent("x-first-death-exchange", LongString.of(message.exchange()));
        headers.put("x-last-death-reason", LongString.of(reason));
        headers.put("x-last-death-queue", LongString.of(queue));
        headers.put("x-last-death-exchange", LongString.of(message.exchange()));
    }

    @Override
    public void adjustMemory(long delta) {
        broker.memory().adjust(delta);
    }

    @Override
    public boolean memoryPressure() {
        return broker.memory().usedBytes() > broker.memory().limitBytes() / 2;
    }

    @Override
    public ScheduledExecutorService timer() {
        return broker.timer();
    }

    @Override
    public warren.core.queue.RemoteQueues remoteQueues() {
        return broker.remoteQueues();
    }

    /** Deletes everything (vhost deletion). */
    synchronized void destroy() {
        for (MessageQueue q : List.copyOf(queues.values())) {
            q.deleteNow();
            if (q.durable()) {
                broker.unpersist(DefinitionRecord.Kind.QUEUE, DefinitionCodec.key(name, q.name()));
            }
            q.markRemoved();
        }
        for (Exchange e : exchanges.values()) {
            if (e.durable() && !e.name().isEmpty() && !e.name().startsWith("amq.")) {
                broker.unpersist(DefinitionRecord.Kind.EXCHANGE, DefinitionCodec.key(name, e.name()));
            }
        }
        for (Binding b : List.copyOf(durableBindings)) {
            forgetBinding(b);
        }
        queues.clear();
        exchanges.clear();
        bindingsByDestination.clear();
    }
}
