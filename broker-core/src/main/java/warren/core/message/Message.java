package warren.core.message;

import warren.core.amqp.BasicProperties;
import warren.core.amqp.ContentHeader;

/**
 * A published message: immutable once routed. Properties travel as their raw encoded bytes so
 * that forwarding needs no re-encoding; the decoded form is kept alongside for routing decisions.
 * One instance is shared by every queue the message is routed to.
 */
public final class Message {
    private final String exchange;
    private final String routingKey;
    private final BasicProperties properties;
    private final byte[] rawProperties;
    private final byte[] body;
    private final long publishedAtMillis;
    /** Id of the stored body (0: not stored); set once by the publishing channel before routing. */
    private long storeId;
    /** Whether the stored body is indexed by several queues (reference-counted). */
    private boolean sharedBody;

    public Message(String exchange, String routingKey, BasicProperties properties, byte[] rawProperties,
                   byte[] body, long publishedAtMillis) {
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.properties = properties;
        this.rawProperties = rawProperties;
        this.body = body;
        this.publishedAtMillis = publishedAtMillis;
    }

    /** A copy with new properties (dead-lettering, x-death), re-encoding them. */
    public Message withProperties(String newExchange, String newRoutingKey, BasicProperties newProperties) {
        return new Message(newExchange, newRoutingKey, newProperties, ContentHeader.encodeProperties(newProperties),
                body, System.currentTimeMillis());
    }

    /** Set before the message is handed to queues (their executors give the happens-before). */
    public void stored(long id, boolean shared) {
        this.storeId = id;
        this.sharedBody = shared;
    }

    public long storeId() {
        return storeId;
    }

    public boolean sharedBody() {
        return sharedBody;
    }

    public String exchange() {
        return exchange;
    }

    public String routingKey() {
        return routingKey;
    }

    public BasicProperties properties() {
        return properties;
    }

    public byte[] rawProperties() {
        return rawProperties;
    }

    public byte[] body() {
        return body;
    }

    public long publishedAtMillis() {
        return publishedAtMillis;
    }

    public boolean isPersistent() {
        Integer mode = properties.deliveryMode();
        return mode != null && mode == 2;
    }

    public int priority() {
        Integer p = properties.priority();
        return p == null ? 0 : p;
    }

    /** Bytes counted against length limits and the memory watermark. */
    public long bodySize() {
        return body.length;
    }
}
