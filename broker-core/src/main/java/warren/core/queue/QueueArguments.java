package warren.core.queue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import warren.core.amqp.ChannelException;
import warren.core.amqp.LongString;
import warren.core.amqp.ReplyCode;

/**
 * The x-arguments of a queue, validated as RabbitMQ validates them (406 PRECONDITION_FAILED with
 * RabbitMQ's wording) and turned into typed settings.
 */
public final class QueueArguments {
    /** Keys compared on redeclare (RabbitMQ's assert_args_equivalence list). */
    private static final List<String> EQUIVALENCE_KEYS = List.of("x-expires", "x-message-ttl", "x-max-length",
            "x-max-length-bytes", "x-max-priority", "x-overflow", "x-dead-letter-exchange",
            "x-dead-letter-routing-key", "x-single-active-consumer", "x-queue-type");

    public enum Overflow { DROP_HEAD, REJECT_PUBLISH, REJECT_PUBLISH_DLX }

    private final Map<String, Object> raw;
    final long messageTtl;        // -1 = none
    final long expires;           // -1 = none
    final long maxLength;         // -1 = none
    final long maxLengthBytes;    // -1 = none
    final Overflow overflow;
    final String deadLetterExchange;     // null = none
    final String deadLetterRoutingKey;   // null = keep original
    final int maxPriority;        // 0 = not a priority queue
    final boolean singleActiveConsumer;
    private final String leaderLocator;   // null = the node's queue_leader_locator

    private QueueArguments(Map<String, Object> raw, String queue, String vhost) {
        this.raw = raw;
        this.messageTtl = nonNegative(raw, "x-message-ttl", queue, vhost, false);
        this.expires = nonNegative(raw, "x-expires", queue, vhost, true);
        this.maxLength = nonNegative(raw, "x-max-length", queue, vhost, false);
        this.maxLengthBytes = nonNegative(raw, "x-max-length-bytes", queue, vhost, false);
        String overflowValue = string(raw, "x-overflow", queue, vhost);
        if (overflowValue == null || overflowValue.equals("drop-head")) {
            this.overflow = Overflow.DROP_HEAD;
        } else if (overflowValue.equals("reject-publish")) {
            this.overflow = Overflow.REJECT_PUBLISH;
        } else if (overflowValue.equals("reject-publish-dlx")) {
            this.overflow = Overflow.REJECT_PUBLISH_DLX;
        } else {
            throw invalid("x-overflow", "{unknown_overflow_type,<<\"" + overflowValue + "\">>}", queue, vhost);
        }
        this.deadLetterExchange = string(raw, "x-dead-letter-exchange", queue, vhost);
        this.deadLetterRoutingKey = string(raw, "x-dead-letter-routing-key", queue, vhost);
        if (deadLetterRoutingKey != null && deadLetterExchange == null) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "invalid arg 'x-dead-letter-routing-key' for "
                    + describe(queue, vhost) + ": routing_key_but_no_dlx_defined");
        }
        long priority = nonNegative(raw, "x-max-priority", queue, vhost, false);
        if (priority > 255) {
            throw invalid("x-max-priority", "{value_too_large," + priority + ",255}", queue, vhost);
        }
        this.maxPriority = (int) Math.max(priority, 0);
        Object sac = raw.get("x-single-active-consumer");
        if (sac != null && !(sac instanceof Boolean)) {
            throw invalid("x-single-active-consumer", "{unacceptable_type," + typeName(sac) + "}", queue, vhost);
        }
        this.singleActiveConsumer = Boolean.TRUE.equals(sac);
        String locator = string(raw, "x-queue-leader-locator", queue, vhost);
        if (locator != null && !locator.equals("client-local") && !locator.equals("balanced")) {
            throw invalid("x-queue-leader-locator", "{unknown_queue_leader_locator,<<\"" + locator
                    + "\">>} (client-local or balanced)", queue, vhost);
        }
        this.leaderLocator = locator;
        String type = string(raw, "x-queue-type", queue, vhost);
        if (type != null && !type.equals("classic")) {
            throw invalid("x-queue-type", "{unsupported_queue_type,<<\"" + type + "\">>} (Warren has classic queues only)",
                    queue, vhost);
        }
    }

    public static QueueArguments parse(Map<String, Object> arguments, String queue, String vhost) {
        Map<String, Object> copy = arguments == null ? Map.of() : new LinkedHashMap<>(arguments);
        return new QueueArguments(copy, queue, vhost);
    }

    /** x-queue-leader-locator, or null to use the node's {@code queue_leader_locator}. */
    public String leaderLocator() {
        return leaderLocator;
    }

    public Map<String, Object> raw() {
        return raw;
    }

    public long messageTtl() {
        return messageTtl;
    }

    public long expires() {
        return expires;
    }

    public String deadLetterExchange() {
        return deadLetterExchange;
    }

    public int maxPriority() {
        return maxPriority;
    }

    public boolean singleActiveConsumer() {
        return singleActiveConsumer;
    }

    /** Throws 406 if {@code other} (from a redeclare) differs in an argument RabbitMQ compares. */
    public void assertEquivalent(QueueArguments other, String queue, String vhost) {
        for (String key : EQUIVALENCE_KEYS) {
            Object mine = normalise(raw.get(key));
            Object theirs = normalise(other.raw.get(key));
            if (!Objects.equals(mine, theirs)) {
                throw new ChannelException(ReplyCode.PRECONDITION_FAILED, "inequivalent arg '" + key + "' for "
                        + describe(queue, vhost) + ": received " + show(other.raw.get(key)) + " but current is "
                        + show(raw.get(key)));
            }
        }
    }

    private static Object normalise(Object v) {
        if (v instanceof Number n && !(v instanceof Float) && !(v instanceof Double)) {
            return n.longValue();
        }
        if (v instanceof LongString s) {
            return s.toString();
        }
        return v;
    }

    private static String show(Object v) {
        if (v == null) {
            return "none";
        }
        if (v instanceof LongString || v instanceof String) {
            return "the value '" + v + "' of type 'longstr'";
        }
        return "the value '" + v + "' of type '" + typeName(v) + "'";
    }

    static String describe(String queue, String vhost) {
        return "queue '" + queue + "' in vhost '" + vhost + "'";
    }

    private static ChannelException invalid(String key, String reason, String queue, String vhost) {
        return new ChannelException(ReplyCode.PRECONDITION_FAILED,
                "invalid arg '" + key + "' for " + describe(queue, vhost) + ": " + reason);
    }

    private static long nonNegative(Map<String, Object> raw, String key, String queue, String vhost, boolean positive) {
        Object v = raw.get(key);
        if (v == null) {
            return -1;
        }
        if (!(v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long)) {
            throw invalid(key, "{unacceptable_type," + typeName(v) + "}", queue, vhost);
        }
        long n = ((Number) v).longValue();
        if (n < 0 || (positive && n == 0)) {
            throw invalid(key, "{value_" + (n == 0 ? "zero" : "negative") + "," + n + "}", queue, vhost);
        }
        return n;
    }

    private static String string(Map<String, Object> raw, String key, String queue, String vhost) {
        Object v = raw.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof LongString || v instanceof String) {
            return v.toString();
        }
        throw invalid(key, "{unacceptable_type," + typeName(v) + "}", queue, vhost);
    }

    static String typeName(Object v) {
        if (v instanceof LongString || v instanceof String) {
            return "longstr";
        }
        if (v instanceof Integer) {
            return "signedint";
        }
        if (v instanceof Long) {
            return "long";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Double || v instanceof Float) {
            return "double";
        }
        if (v instanceof Map) {
            return "table";
        }
        if (v instanceof List) {
            return "array";
        }
        return v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }
}
