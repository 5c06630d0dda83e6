package warren.core.broker;

import warren.core.metadata.MetadataCommand;
import warren.core.metadata.MetadataCommand.Bind;
import warren.core.metadata.MetadataCommand.DeclareExchange;
import warren.core.metadata.MetadataCommand.DeclareQueue;
import warren.core.metadata.MetadataCommand.DeleteExchange;
import warren.core.metadata.MetadataCommand.DeletePermission;
import warren.core.metadata.MetadataCommand.DeleteQueue;
import warren.core.metadata.MetadataCommand.DeleteUser;
import warren.core.metadata.MetadataCommand.DeleteVhost;
import warren.core.metadata.MetadataCommand.PutPermission;
import warren.core.metadata.MetadataCommand.PutUser;
import warren.core.metadata.MetadataCommand.PutVhost;
import warren.core.metadata.MetadataCommand.Unbind;
import warren.core.store.DefinitionCodec;
import warren.core.store.DefinitionRecord.Kind;

/** Which stored record a definition command writes or deletes, as a {@link DefinitionVersions} key. */
final class RecordKeys {
    private RecordKeys() {
    }

    /** The version key of the record {@code c} concerns; null for membership commands. */
    static String versionKey(MetadataCommand c) {
        if (c instanceof DeclareExchange d) {
            return key(Kind.EXCHANGE, DefinitionCodec.key(d.vhost(), d.name()));
        } else if (c instanceof DeleteExchange d) {
            return key(Kind.EXCHANGE, DefinitionCodec.key(d.vhost(), d.name()));
        } else if (c instanceof DeclareQueue d) {
            return key(Kind.QUEUE, DefinitionCodec.key(d.vhost(), d.name()));
        } else if (c instanceof DeleteQueue d) {
            return key(Kind.QUEUE, DefinitionCodec.key(d.vhost(), d.name()));
        } else if (c instanceof Bind d) {
            return bindingKey(d.vhost(), d.source(), d.destination(), d.toExchange(), d.routingKey(), d.arguments());
        } else if (c instanceof Unbind d) {
            return bindingKey(d.vhost(), d.source(), d.destination(), d.toExchange(), d.routingKey(), d.arguments());
        } else if (c instanceof PutVhost d) {
            return key(Kind.VHOST, d.vhost());
        } else if (c instanceof DeleteVhost d) {
            return key(Kind.VHOST, d.vhost());
        } else if (c instanceof PutUser d) {
            return key(Kind.USER, d.name());
        } else if (c instanceof DeleteUser d) {
            return key(Kind.USER, d.name());
        } else if (c instanceof PutPermission d) {
            return key(Kind.PERMISSION, DefinitionCodec.key(d.vhost(), d.user()));
        } else if (c instanceof DeletePermission d) {
            return key(Kind.PERMISSION, DefinitionCodec.key(d.vhost(), d.user()));
        } else if (c instanceof MetadataCommand.PutVhostLimits d) {
            return key(Kind.VHOST_LIMITS, d.vhost());
        } else if (c instanceof MetadataCommand.ClearVhostLimits d) {
            return key(Kind.VHOST_LIMITS, d.vhost());
        } else if (c instanceof MetadataCommand.PutUserLimits d) {
            return key(Kind.USER_LIMITS, d.user());
        } else if (c instanceof MetadataCommand.ClearUserLimits d) {
            return key(Kind.USER_LIMITS, d.user());
        }
        return null;
    }

    /** The command that deletes what {@code put} created. */
    static MetadataCommand deletion(MetadataCommand put) {
        if (put instanceof DeclareExchange d) {
            return new DeleteExchange(d.vhost(), d.name(), false);
        } else if (put instanceof DeclareQueue d) {
            return new DeleteQueue(d.vhost(), d.name());
        } else if (put instanceof Bind d) {
            return new Unbind(d.vhost(), d.source(), d.destination(), d.toExchange(), d.routingKey(), d.arguments());
        } else if (put instanceof PutVhost d) {
            return new DeleteVhost(d.vhost());
        } else if (put instanceof PutUser d) {
            return new DeleteUser(d.name());
        } else if (put instanceof PutPermission d) {
            return new DeletePermission(d.vhost(), d.user());
        } else if (put instanceof MetadataCommand.PutVhostLimits d) {
            return new MetadataCommand.ClearVhostLimits(d.vhost());
        } else if (put instanceof MetadataCommand.PutUserLimits d) {
            return new MetadataCommand.ClearUserLimits(d.user());
        }
        throw new IllegalArgumentException("not a definition: " + put);
    }

    /** Version keys of the records {@code put} depends on: its vhost, a binding's source and destination. */
    static java.util.List<String> parents(MetadataCommand put) {
        if (put instanceof Bind d) {
            return java.util.List.of(key(Kind.EXCHANGE, DefinitionCodec.key(d.vhost(), d.source())),
                    key(d.toExchange() ? Kind.EXCHANGE : Kind.QUEUE, DefinitionCodec.key(d.vhost(), d.destination())));
        } else if (put instanceof DeclareExchange || put instanceof DeclareQueue || put instanceof PutPermission
                || put instanceof MetadataCommand.PutVhostLimits) {
            return java.util.List.of(key(Kind.VHOST, put.vhost()));
        } else if (put instanceof MetadataCommand.PutUserLimits d) {
            return java.util.List.of(key(Kind.USER, d.user()));
        }
        return java.util.List.of();
    }

    private static String bindingKey(String vhost, String source, String destination, boolean toExchange,
                                     String routingKey, java.util.Map<String, Object> arguments) {
        return key(Kind.BINDING, DefinitionCodec.binding(new DefinitionCodec.BindingDef(vhost, source, destination,
                toExchange, routingKey, arguments)).key());
    }

    private static String key(Kind kind, String recordKey) {
        return DefinitionVersions.key(kind.code(), recordKey);
    }
}
