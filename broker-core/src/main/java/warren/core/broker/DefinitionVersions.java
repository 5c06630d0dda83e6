package warren.core.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import warren.core.metadata.Version;
import warren.core.store.DefinitionRecord;
import warren.core.store.StoreException;

/**
 * The version of every durable definition record this node holds, and the tombstones of deleted
 * ones, keyed {@code <kind code>|<record key>}. Kept in memory and, through the store, as records
 * of kind {@link DefinitionRecord.Kind#VERSION} written with the record they describe.
 */
final class DefinitionVersions {

    /** A record's version; {@code deleted}: the record is gone and this is its tombstone. */
    record Entry(Version version, boolean deleted) {
    }

    private static final int FORMAT = 1;

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    static String key(int kind, String recordKey) {
        return kind + "|" + recordKey;
    }

    static int kindOf(String versionKey) {
        return Integer.parseInt(versionKey.substring(0, versionKey.indexOf('|')));
    }

    static String recordKeyOf(String versionKey) {
        return versionKey.substring(versionKey.indexOf('|') + 1);
    }

    Entry get(String versionKey) {
        return versionKey == null ? null : entries.get(versionKey);
    }

    /** The live version of a record, or {@link Version#ZERO} when unknown or deleted. */
    Version liveVersion(String versionKey) {
        Entry e = get(versionKey);
        return e == null || e.deleted() ? Version.ZERO : e.version();
    }

    /** The version of a record or of its tombstone; {@link Version#ZERO} when unknown. */
    Version liveOrTombstone(String versionKey) {
        Entry e = get(versionKey);
        return e == null ? Version.ZERO : e.version();
    }

    /** Records {@code version} for the key; returns the record to store. */
    DefinitionRecord put(String versionKey, Version version, boolean deleted) {
        entries.put(versionKey, new Entry(version, deleted));
        ByteBuf b = Unpooled.buffer(32);
        b.writeByte(FORMAT);
        b.writeLong(version.hlc());
        byte[] origin = version.origin().getBytes(StandardCharsets.UTF_8);
        b.writeInt(origin.length).writeBytes(origin);
        b.writeBoolean(deleted);
        byte[] payload = new byte[b.readableBytes()];
        b.readBytes(payload);
        return new DefinitionRecord(DefinitionRecord.Kind.VERSION, versionKey, payload);
    }

    /** Loads a stored VERSION record (recovery). */
    void load(DefinitionRecord r) {
        ByteBuf b = Unpooled.wrappedBuffer(r.payload());
        int format = b.readUnsignedByte();
        if (format != FORMAT) {
            throw new StoreException("version record '" + r.key().replace('\0', '/') + "' has format " + format
                    + ", this node reads " + FORMAT);
        }
        long hlc = b.readLong();
        byte[] origin = new byte[b.readInt()];
        b.readBytes(origin);
        entries.put(r.key(), new Entry(new Version(hlc, new String(origin, StandardCharsets.UTF_8)), b.readBoolean()));
    }

    /** The keys of all tombstones, with their versions. */
    Map<String, Version> tombstones() {
        Map<String, Version> out = new java.util.TreeMap<>();
        entries.forEach((k, e) -> {
            if (e.deleted()) {
                out.put(k, e.version());
            }
        });
        return out;
    }

    /** Removes every tombstone; returns their keys. */
    List<String> purgeTombstones() {
        List<String> purged = new ArrayList<>();
        entries.forEach((k, e) -> {
            if (e.deleted() && entries.remove(k, e)) {
                purged.add(k);
            }
        });
        return purged;
    }

    /** The highest clock reading recorded (so a restarted node's clock never goes back). */
    long maxHlc() {
        long max = 0;
        for (Entry e : entries.values()) {
            max = Math.max(max, e.version().hlc());
        }
        return max;
    }

}
