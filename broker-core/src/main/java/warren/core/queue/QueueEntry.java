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

    /** For an entry delivered from another node: the data link connection it came over (else null). */
    private Object link;

    QueueEntry(long seq, Message message, long expiresAtMillis) {
        this.seq = seq;
        this.message = message;
        this.expiresAtMillis = expiresAtMillis;
    }

    /** A delivery from a queue on another node: its seq there, and the link connection it came over. */
    public static QueueEntry fromLink(long seq, Message message, boolean redelivered, Object link) {
        QueueEntry e = new QueueEntry(seq, message, Long.MAX_VALUE);
        e.redelivered = redelivered;
        e.link = link;
        return e;
    }

    /** The data link connection a remote delivery came over; null for a local entry. */
    public Object link() {
        return link;
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
