package warren.core.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import warren.core.amqp.FieldTable;

/**
 * Encodes definitions as records: a version byte, then fields in a fixed order; argument tables
 * use the AMQP field-table encoding so every value type round-trips.
 */
public final class DefinitionCodec {
    private static final int VERSION = 1;

    private DefinitionCodec() {
    }

    public record VhostDef(String name) {
    }

    public record UserDef(String name, String passwordHash, Set<String> tags) {
    }

    public record PermissionDef(String vhost, String user, String configure, String write, String read) {
    }

    public record ExchangeDef(String vhost, String name, String type, boolean durable, boolean autoDelete,
                              boolean internal, Map<String, Object> arguments) {
    }

    /** {@code homeNode}: where the queue's messages live; null for records written before it was kept (here). */
    public record QueueDef(String vhost, String name, boolean durable, boolean autoDelete,
                           Map<String, Object> arguments, String homeNode) {
        public QueueDef(String vhost, String name, boolean durable, boolean autoDelete, Map<String, Object> arguments) {
            this(vhost, name, durable, autoDelete, arguments, null);
        }
    }

    public record BindingDef(String vhost, String source, String destination, boolean toExchange, String routingKey,
                             Map<String, Object> arguments) {
    }

    /** {@code owner}: the vhost or user the limits belong to. */
    public record LimitsDef(String owner, Map<String, Long> limits) {
    }

    public static String key(String vhost, String name) {
        return vhost + '\0' + name;
    }

    public static DefinitionRecord vhost(VhostDef d) {
        return record(DefinitionRecord.Kind.VHOST, d.name(), b -> str(b, d.name()));
    }

    public static DefinitionRecord user(UserDef d) {
        return record(DefinitionRecord.Kind.USER, d.name(), b -> {
            str(b, d.name());
            str(b, d.passwordHash());
            b.writeInt(d.tags().size());
            for (String t : d.tags()) {
                str(b, t);
            }
        });
    }

    public static DefinitionRecord permission(PermissionDef d) {
        return record(DefinitionRecord.Kind.PERMISSION, key(d.vhost(), d.user()), b -> {
            str(b, d.vhost());
            str(b, d.user());
            str(b, d.configure());
            str(b, d.write());
            str(b, d.read());
        });
    }

    public static DefinitionRecord exchange(ExchangeDef d) {
        return record(DefinitionRecord.Kind.EXCHANGE, key(d.vhost(), d.name()), b -> {
            str(b, d.vhost());
            str(b, d.name());
            str(b, d.type());
            b.writeBoolean(d.durable());
            b.writeBoolean(d.autoDelete());
            b.writeBoolean(d.internal());
            FieldTable.write(b, d.arguments());
        });
    }

    public static DefinitionRecord queue(QueueDef d) {
        return record(DefinitionRecord.Kind.QUEUE, key(d.vhost(), d.name()), b -> {
            str(b, d.vhost());
            str(b, d.name());
            b.writeBoolean(d.durable());
            b.writeBoolean(d.autoDelete());
            FieldTable.write(b, d.arguments());
            if (d.homeNode() != null) {
                str(b, d.homeNode());
            }
        });
    }

    public static DefinitionRecord binding(BindingDef d) {
        ByteBuf args = Unpooled.buffer();
        FieldTable.write(args, d.arguments());
        byte[] argBytes = new byte[args.readableBytes()];
        args.readBytes(argBytes);
        String key = d.vhost() + '\0' + d.source() + '\0' + (d.toExchange() ? 'e' : 'q') + '\0' + d.destination()
                + '\0' + d.routingKey() + '\0' + digest(argBytes);
        return record(DefinitionRecord.Kind.BINDING, key, b -> {
            str(b, d.vhost());
            str(b, d.source());
            str(b, d.destination());
            b.writeBoolean(d.toExchange());
            str(b, d.routingKey());
            b.writeBytes(argBytes);
        });
    }

    /** {@code kind}: VHOST_LIMITS or USER_LIMITS. */
    public static DefinitionRecord limits(DefinitionRecord.Kind kind, LimitsDef d) {
        return record(kind, d.owner(), b -> {
            str(b, d.owner());
            b.writeInt(d.limits().size());
            d.limits().forEach((k, v) -> {
                str(b, k);
                b.writeLong(v);
            });
        });
    }

    private static LimitsDef limits(ByteBuf b) {
        String owner = str(b);
        int n = b.readInt();
        Map<String, Long> limits = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            limits.put(str(b), b.readLong());
        }
        return new LimitsDef(owner, limits);
    }

    public static Object decode(DefinitionRecord r) {
        ByteBuf b = Unpooled.wrappedBuffer(r.payload());
        int version = b.readUnsignedByte();
        if (version != VERSION) {
            throw new StoreException("definition record " + r.kind() + " '" + r.key().replace('\0', '/')
                    + "' has format version " + version + ", this node reads " + VERSION);
        }
        switch (r.kind()) {
            case VHOST:
                return new VhostDef(str(b));
            case USER: {
                String name = str(b);
                String hash = str(b);
                int n = b.readInt();
                Set<String> tags = new LinkedHashSet<>();
                for (int i = 0; i < n; i++) {
                    tags.add(str(b));
                }
                return new UserDef(name, hash, tags);
            }
            case PERMISSION:
                return new PermissionDef(str(b), str(b), str(b), str(b), str(b));
            case EXCHANGE:
                return new ExchangeDef(str(b), str(b), str(b), b.readBoolean(), b.readBoolean(), b.readBoolean(),
                        FieldTable.read(b));
            case QUEUE:
                return new QueueDef(str(b), str(b), b.readBoolean(), b.readBoolean(), FieldTable.read(b),
                        b.isReadable() ? str(b) : null);
            case BINDING:
                return new BindingDef(str(b), str(b), str(b), b.readBoolean(), str(b), FieldTable.read(b));
            case VHOST_LIMITS:
            case USER_LIMITS:
                return limits(b);
            default:
                throw new StoreException("unknown definition kind " + r.kind());
        }
    }

    private interface Writer {
        void write(ByteBuf b);
    }

    private static DefinitionRecord record(DefinitionRecord.Kind kind, String key, Writer w) {
        ByteBuf b = Unpooled.buffer(64);
        b.writeByte(VERSION);
        w.write(b);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return new DefinitionRecord(kind, key, out);
    }

    private static void str(ByteBuf b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.writeInt(bytes.length).writeBytes(bytes);
    }

    private static String str(ByteBuf b) {
        byte[] bytes = new byte[b.readInt()];
        b.readBytes(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
