package warren.core.store.rocksdb;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import warren.core.store.StoredEntry;
import warren.core.store.StoredMessage;

/** Byte layouts of keys and values in the column families. Big-endian so keys sort by number. */
final class Keys {
    private Keys() {
    }

    /** Queue-index prefix: 2-byte length + UTF-8 queue key, so no queue's prefix is another's. */
    static byte[] queuePrefix(String queueKey) {
        byte[] q = queueKey.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + q.length).putShort((short) q.length).put(q).array();
    }

    static byte[] indexKey(byte[] prefix, long seq) {
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(seq).array();
    }

    static String queueKeyOf(byte[] indexKey) {
        int len = ((indexKey[0] & 0xff) << 8) | (indexKey[1] & 0xff);
        return new String(indexKey, 2, len, StandardCharsets.UTF_8);
    }

    static long seqOf(byte[] indexKey) {
        return ByteBuffer.wrap(indexKey, indexKey.length - 8, 8).getLong();
    }

    static boolean hasPrefix(byte[] key, byte[] prefix) {
        if (key.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    static byte[] messageKey(long id) {
        return ByteBuffer.allocate(8).putLong(id).array();
    }

    static long messageIdOf(byte[] key) {
        return ByteBuffer.wrap(key).getLong();
    }

    static byte[] indexValue(StoredEntry e) {
        return ByteBuffer.allocate(17).putLong(e.messageId()).putLong(e.expiresAt()).put((byte) e.flags()).array();
    }

    static StoredEntry indexEntry(byte[] key, byte[] value) {
        ByteBuffer v = ByteBuffer.wrap(value);
        return new StoredEntry(seqOf(key), v.getLong(), v.getLong(), v.get() & 0xff);
    }

    static byte[] messageValue(StoredMessage m) {
        byte[] ex = m.exchange().getBytes(StandardCharsets.UTF_8);
        byte[] rk = m.routingKey().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + ex.length + 4 + rk.length + 4 + m.rawProperties().length + 4
                + m.body().length + 8);
        b.putInt(ex.length).put(ex).putInt(rk.length).put(rk);
        b.putInt(m.rawProperties().length).put(m.rawProperties());
        b.putInt(m.body().length).put(m.body());
        b.putLong(m.publishedAt());
        return b.array();
    }

    static StoredMessage message(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        String ex = string(b);
        String rk = string(b);
        byte[] props = bytes(b);
        byte[] body = bytes(b);
        return new StoredMessage(ex, rk, props, body, b.getLong());
    }

    private static String string(ByteBuffer b) {
        return new String(bytes(b), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.getInt()];
        b.get(out);
        return out;
    }

    static byte[] definitionKey(int kind, String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + k.length).put((byte) kind).put(k).array();
    }
}
