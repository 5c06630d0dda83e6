package warren.core.queue;

import warren.core.message.Message;

/** A message's place in one queue: its sequence there, delivery history and expiry. */
public final class QueueEntry {
    final long seq;
    final Message message;
    final long expiresAtMillis; // Long.MAX_VALUE = never
    boolean redelivered;
    /** Stored body id when this entry has an index record (0: memory only). */
    long messageId;
    /** StoredEntry flags of its index record. */
    int storeFlags;

    QueueEntry(long seq, Message message, long expiresAtMillis) {
        this.seq = seq;
        this.message = message;
        this.expiresAtMillis = expiresAtMillis;
    }

    public long seq() {
        return seq;
    }

    public Message message() {
        return message;
    }

    public boolean redelivered() {
        return redelivered;
    }
}
