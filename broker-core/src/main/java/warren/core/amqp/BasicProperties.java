package warren.core.amqp;

import io.netty.buffer.ByteBuf;
import java.util.Date;
import java.util.Map;

/**
 * The content properties of class {@code basic} (spec 1.8, "basic" class fields), in wire order. A null
 * component is an absent property. Encoded as property flag words followed by the present fields
 * (spec 4.2.6.1): each 16-bit flag word carries 15 property bits from the most significant down, and its
 * bit 0 says another flag word follows.
 */
public record BasicProperties(
        String contentType,
        String contentEncoding,
        Map<String, Object> headers,
        Integer deliveryMode,
        Integer priority,
        String correlationId,
        String replyTo,
        String expiration,
        String messageId,
        Date timestamp,
        String type,
        String userId,
        String appId,
        String clusterId) {

    /** No property set. */
    public static final BasicProperties EMPTY =
            new BasicProperties(null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    private static final int CONTENT_TYPE = 1 << 15;
    private static final int CONTENT_ENCODING = 1 << 14;
    private static final int HEADERS = 1 << 13;
    private static final int DELIVERY_MODE = 1 << 12;
    private static final int PRIORITY = 1 << 11;
    private static final int CORRELATION_ID = 1 << 10;
    private static final int REPLY_TO = 1 << 9;
    private static final int EXPIRATION = 1 << 8;
    private static final int MESSAGE_ID = 1 << 7;
    private static final int TIMESTAMP = 1 << 6;
    private static final int TYPE = 1 << 5;
    private static final int USER_ID = 1 << 4;
    private static final int APP_ID = 1 << 3;
    private static final int CLUSTER_ID = 1 << 2;
    private static final int CONTINUATION = 1;

    public BasicProperties withHeaders(Map<String, Object> newHeaders) {
        return new BasicProperties(contentType, contentEncoding, newHeaders, deliveryMode, priority, correlationId,
                replyTo, expiration, messageId, timestamp, type, userId, appId, clusterId);
    }

    public BasicProperties withExpiration(String newExpiration) {
        return new BasicProperties(contentType, contentEncoding, headers, deliveryMode, priority, correlationId,
                replyTo, newExpiration, messageId, timestamp, type, userId, appId, clusterId);
    }

    public BasicProperties withDeliveryMode(Integer newDeliveryMode) {
        return new BasicProperties(contentType, contentEncoding, headers, newDeliveryMode, priority, correlationId,
                replyTo, expiration, messageId, timestamp, type, userId, appId, clusterId);
    }

    /**
     * Reads the flag word(s) and the present properties, consuming them. Flag words after the first are
     * skipped (class basic defines only 14 properties). Malformed input raises {@link ConnectionException}
     * with {@link ReplyCode#SYNTAX_ERROR}.
     */
    public static BasicProperties read(ByteBuf buf) {
        try {
            int flags = buf.readUnsignedShort();
            int word = flags;
            while ((word & CONTINUATION) != 0) {
                word = buf.readUnsignedShort();
            }
            return new BasicProperties(
                    (flags & CONTENT_TYPE) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & CONTENT_ENCODING) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & HEADERS) != 0 ? FieldTable.read(buf) : null,
                    (flags & DELIVERY_MODE) != 0 ? Integer.valueOf(buf.readUnsignedByte()) : null,
                    (flags & PRIORITY) != 0 ? Integer.valueOf(buf.readUnsignedByte()) : null,
                    (flags & CORRELATION_ID) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & REPLY_TO) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & EXPIRATION) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & MESSAGE_ID) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & TIMESTAMP) != 0 ? new Date(buf.readLong() * 1000L) : null,
                    (flags & TYPE) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & USER_ID) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & APP_ID) != 0 ? WireFormat.readShortStringLenient(buf) : null,
                    (flags & CLUSTER_ID) != 0 ? WireFormat.readShortStringLenient(buf) : null);
        } catch (IndexOutOfBoundsException e) {
            throw new ConnectionException(ReplyCode.SYNTAX_ERROR, "malformed content properties: " + e.getMessage());
        }
    }

    /** Writes the flag word and the present properties. */
    public void write(ByteBuf buf) {
        int flags = (contentType != null ? CONTENT_TYPE : 0)
                | (contentEncoding != null ? CONTENT_ENCODING : 0)
                | (headers != null ? HEADERS : 0)
                | (deliveryMode != null ? DELIVERY_MODE : 0)
                | (priority != null ? PRIORITY : 0)
                | (correlationId != null ? CORRELATION_ID : 0)
                | (replyTo != null ? REPLY_TO : 0)
                | (expiration != null ? EXPIRATION : 0)
                | (messageId != null ? MESSAGE_ID : 0)
                | (timestamp != null ? TIMESTAMP : 0)
                | (type != null ? TYPE : 0)
                | (userId != null ? USER_ID : 0)
                | (appId != null ? APP_ID : 0)
                | (clusterId != null ? CLUSTER_ID : 0);
        buf.writeShort(flags);
        writeIfPresent(buf, contentType);
        writeIfPresent(buf, contentEncoding);
        if (headers != null) {
            FieldTable.write(buf, headers);
        }
        if (deliveryMode != null) {
            buf.writeByte(deliveryMode);
        }
        if (priority != null) {
            buf.writeByte(priority);
        }
        writeIfPresent(buf, correlationId);
        writeIfPresent(buf, replyTo);
        writeIfPresent(buf, expiration);
        writeIfPresent(buf, messageId);
        if (timestamp != null) {
            buf.writeLong(timestamp.getTime() / 1000L);
        }
        writeIfPresent(buf, type);
        writeIfPresent(buf, userId);
        writeIfPresent(buf, appId);
        writeIfPresent(buf, clusterId);
    }

    private static void writeIfPresent(ByteBuf buf, String value) {
        if (value != null) {
            WireFormat.writeShortString(buf, value);
        }
    }
}
