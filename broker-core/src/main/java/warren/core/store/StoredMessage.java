package warren.core.store;

/** A stored message body with its routing information and raw properties. */
public record StoredMessage(String exchange, String routingKey, byte[] rawProperties, byte[] body, long publishedAt) {
}
