package warren.core.store;

/**
 * One durable definition (vhost, user, permission, exchange, queue, binding) as stored: a kind,
 * a key unique within the kind, and an encoded payload. The clustering layer replicates these
 * same records.
 */
public record DefinitionRecord(Kind kind, String key, byte[] payload) {
    public enum Kind {
        VHOST(1), USER(2), PERMISSION(3), EXCHANGE(4), QUEUE(5), BINDING(6),
        /** The version (or tombstone) of another record; key: the other's kind code, '|', its key. */
        VERSION(7),
        /** A vhost's limits (set_vhost_limits); key: the vhost. */
        VHOST_LIMITS(8),
        /** A user's limits (set_user_limits); key: the user. */
        USER_LIMITS(9);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Kind of(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new StoreException("unknown definition kind " + code);
        }
    }
}
