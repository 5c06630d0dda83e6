package warren.cluster.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import warren.core.amqp.FieldTable;
import warren.core.metadata.MetadataCommand;
import warren.core.metadata.MetadataCommand.Bind;
import warren.core.metadata.MetadataCommand.DeclareExchange;
import warren.core.metadata.MetadataCommand.DeclareQueue;
import warren.core.metadata.MetadataCommand.DeleteExchange;
import warren.core.metadata.MetadataCommand.DeletePermission;
import warren.core.metadata.MetadataCommand.DeleteQueue;
import warren.core.metadata.MetadataCommand.DeleteUser;
import warren.core.metadata.MetadataCommand.DeleteVhost;
import warren.core.metadata.MetadataCommand.ForgetClusterMember;
import warren.core.metadata.MetadataCommand.PutClusterIdentity;
import warren.core.metadata.MetadataCommand.PutClusterMember;
import warren.core.metadata.MetadataCommand.PutPermission;
import warren.core.metadata.MetadataCommand.PutUser;
import warren.core.metadata.MetadataCommand.PutVhost;
import warren.core.metadata.MetadataCommand.Unbind;
import warren.core.metadata.Version;
import warren.core.metadata.VersionedRecord;

/**
 * The wire form of definition changes between nodes: a tag byte, then the fields in order;
 * argument tables in AMQP field-table encoding so every value type crosses unchanged.
 */
final class CommandCodec {
    private CommandCodec() {
    }

    static void write(ByteBuf b, MetadataCommand c) {
        if (c instanceof DeclareExchange d) {
            b.writeByte(1);
            str(b, d.vhost(), d.name(), d.type());
            bools(b, d.durable(), d.autoDelete(), d.internal());
            FieldTable.write(b, d.arguments());
        } else if (c instanceof DeleteExchange d) {
            b.writeByte(2);
            str(b, d.vhost(), d.name());
            bools(b, d.ifUnused());
        } else if (c instanceof DeclareQueue d) {
            b.writeByte(3);
            str(b, d.vhost(), d.name());
            bools(b, d.durable(), d.autoDelete());
            FieldTable.write(b, d.arguments());
            str(b, d.homeNode());
        } else if (c instanceof DeleteQueue d) {
            b.writeByte(4);
            str(b, d.vhost(), d.name());
        } else if (c instanceof Bind d) {
            b.writeByte(5);
            binding(b, d.vhost(), d.source(), d.destination(), d.toExchange(), d.routingKey(), d.arguments());
        } else if (c instanceof Unbind d) {
            b.writeByte(6);
            binding(b, d.vhost(), d.source(), d.destination(), d.toExchange(), d.routingKey(), d.arguments());
        } else if (c instanceof PutVhost d) {
            b.writeByte(7);
            str(b, d.vhost());
        } else if (c instanceof DeleteVhost d) {
            b.writeByte(8);
            str(b, d.vhost());
        } else if (c instanceof PutUser d) {
            b.writeByte(9);
            str(b, d.name(), d.passwordHash());
            b.writeInt(d.tags().size());
            d.tags().forEach(t -> str(b, t));
            bools(b, d.mustBeNew());
        } else if (c instanceof DeleteUser d) {
            b.writeByte(10);
            str(b, d.name());
        } else if (c instanceof PutPermission d) {
            b.writeByte(11);
            str(b, d.vhost(), d.user(), d.configure(), d.write(), d.read());
        } else if (c instanceof DeletePermission d) {
            b.writeByte(12);
            str(b, d.vhost(), d.user());
        } else if (c instanceof PutClusterIdentity d) {
            b.writeByte(13);
            str(b, d.clusterName(), d.clusterId());
        } else if (c instanceof PutClusterMember d) {
            b.writeByte(14);
            str(b, d.node(), d.type(), d.address());
        } else if (c instanceof ForgetClusterMember d) {
            b.writeByte(15);
            str(b, d.node());
        } else if (c instanceof MetadataCommand.DeclareExclusiveQueue d) {
            b.writeByte(16);
            str(b, d.vhost(), d.name());
            bools(b, d.durable(), d.autoDelete());
            FieldTable.write(b, d.arguments());
            str(b, d.homeNode(), d.incarnation());
        } else if (c instanceof MetadataCommand.DropExclusiveQueue d) {
            b.writeByte(17);
            str(b, d.vhost(), d.name(), d.incarnation());
        } else if (c instanceof MetadataCommand.PutVhostLimits d) {
            b.writeByte(18);
            str(b, d.vhost());
            limits(b, d.limits());
        } else if (c instanceof MetadataCommand.ClearVhostLimits d) {
            b.writeByte(19);
            str(b, d.vhost());
        } else if (c instanceof MetadataCommand.PutUserLimits d) {
            b.writeByte(20);
            str(b, d.user());
            limits(b, d.limits());
        } else if (c instanceof MetadataCommand.ClearUserLimits d) {
            b.writeByte(21);
            str(b, d.user());
        } else {
            throw new IllegalArgumentException("no wire form for " + c);
        }
    }

    static MetadataCommand read(ByteBuf b) {
        int tag = b.readUnsignedByte();
        switch (tag) {
            case 1: return new DeclareExchange(str(b), str(b), str(b), b.readBoolean(), b.readBoolean(),
                    b.readBoolean(), FieldTable.read(b));
            case 2: return new DeleteExchange(str(b), str(b), b.readBoolean());
            case 3: return new DeclareQueue(str(b), str(b), b.readBoolean(), b.readBoolean(), FieldTable.read(b),
                    str(b));
            case 4: return new DeleteQueue(str(b), str(b));
            case 5: return new Bind(str(b), str(b), str(b), b.readBoolean(), str(b), FieldTable.read(b));
            case 6: return new Unbind(str(b), str(b), str(b), b.readBoolean(), str(b), FieldTable.read(b));
            case 7: return new PutVhost(str(b));
            case 8: return new DeleteVhost(str(b));
            case 9: {
                String name = str(b);
                String hash = str(b);
                int n = b.readInt();
                Set<String> tags = new LinkedHashSet<>();
                for (int i = 0; i < n; i++) {
                    tags.add(str(b));
                }
                return new PutUser(name, hash, tags, b.readBoolean());
            }
            case 10: return new DeleteUser(str(b));
            case 11: return new PutPermission(str(b), str(b), str(b), str(b), str(b));
            case 12: return new DeletePermission(str(b), str(b));
            case 13: return new PutClusterIdentity(str(b), str(b));
            case 14: return new PutClusterMember(str(b), str(b), str(b));
            case 15: return new ForgetClusterMember(str(b));
            case 16: return new MetadataCommand.DeclareExclusiveQueue(str(b), str(b), b.readBoolean(), b.readBoolean(),
                    FieldTable.read(b), str(b), str(b));
            case 17: return new MetadataCommand.DropExclusiveQueue(str(b), str(b), str(b));
            case 18: return new MetadataCommand.PutVhostLimits(str(b), limits(b));
            case 19: return new MetadataCommand.ClearVhostLimits(str(b));
            case 20: return new MetadataCommand.PutUserLimits(str(b), limits(b));
            case 21: return new MetadataCommand.ClearUserLimits(str(b));
            default: throw new IllegalArgumentException("unknown definition command tag " + tag);
        }
    }

    /** A versioned record: kind, key, version, then the command unless it is a tombstone. */
    static void write(ByteBuf b, VersionedRecord r) {
        b.writeByte(r.kind());
        str(b, r.key());
        b.writeLong(r.version().hlc());
        str(b, r.version().origin());
        b.writeBoolean(!r.isTombstone());
        if (!r.isTombstone()) {
            write(b, r.command());
        }
    }

    static VersionedRecord readRecord(ByteBuf b) {
        int kind = b.readUnsignedByte();
        String key = str(b);
        long hlc = b.readLong();
        Version version = new Version(hlc, str(b));
        return new VersionedRecord(kind, key, hlc == 0 ? Version.ZERO : version, b.readBoolean() ? read(b) : null);
    }

    static void writeRecords(ByteBuf b, java.util.List<VersionedRecord> records) {
        b.writeInt(records.size());
        for (VersionedRecord r : records) {
            write(b, r);
        }
    }

    static java.util.List<VersionedRecord> readRecords(ByteBuf b) {
        int n = b.readInt();
        java.util.List<VersionedRecord> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readRecord(b));
        }
        return out;
    }

    static byte[] toBytes(java.util.function.Consumer<ByteBuf> writer) {
        ByteBuf b = Unpooled.buffer(128);
        writer.accept(b);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private static void limits(ByteBuf b, Map<String, Long> limits) {
        b.writeInt(limits.size());
        limits.forEach((k, v) -> {
            str(b, k);
            b.writeLong(v);
        });
    }

    private static Map<String, Long> limits(ByteBuf b) {
        int n = b.readInt();
        Map<String, Long> out = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            out.put(str(b), b.readLong());
        }
        return out;
    }

    private static void binding(ByteBuf b, String vhost, String source, String destination, boolean toExchange,
                                String routingKey, Map<String, Object> arguments) {
        str(b, vhost, source, destination);
        bools(b, toExchange);
        str(b, routingKey);
        FieldTable.write(b, arguments);
    }

    static void str(ByteBuf b, String... values) {
        for (String v : values) {
            byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
            b.writeInt(bytes.length).writeBytes(bytes);
        }
    }

    static String str(ByteBuf b) {
        byte[] bytes = new byte[b.readInt()];
        b.readBytes(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void bools(ByteBuf b, boolean... values) {
        for (boolean v : values) {
            b.writeBoolean(v);
        }
    }
}
